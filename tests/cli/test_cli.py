"""The `harness` console script itself: --version, and defaults stated in every help."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import harness
from harness.cli import build_parser

ROOT = Path(__file__).parents[2]


def test_version_prints_the_package_version_defined_once():
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"harness {harness.__version__}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "harness.__version__"}


def subcommand_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every parser a user can ask for help from: (command words, parser)."""
    yield path, parser
    for action in parser._actions:  # noqa: SLF001 - argparse has no public walk
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, sub in action.choices.items():
                yield from subcommand_parsers(sub, (*path, name))


def option_entries(help_text: str) -> dict[str, str]:
    """The options section of a help text: first option string -> its entry, whitespace
    normalised (a wrapped "(default: ...)" reads as one)."""
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in help_text.splitlines():
        match = re.match(r"^  (-[-\w]+)", line)
        if match:
            current = entries.setdefault(match.group(1), [])
        elif not line.startswith("   "):
            current = None
        if current is not None:
            current.append(line)
    return {name: " ".join(" ".join(lines).split()) for name, lines in entries.items()}


def has_a_default(action: argparse.Action) -> bool:
    return (bool(action.option_strings) and action.nargs != 0 and action.default is not None
            and action.default is not argparse.SUPPRESS)


def test_every_help_states_each_default_one_way():
    checked = 0
    for path, parser in subcommand_parsers(build_parser()):
        text = parser.format_help()
        entries = option_entries(text)
        for action in parser._actions:  # noqa: SLF001
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            entry = entries[action.option_strings[0]]
            if has_a_default(action):
                checked += 1
                assert f"(default: {action.default})" in entry, (path, entry)
            # one way of saying it: "(default: ...)" once, never "default 2" or "(default X)"
            assert entry.count("(default") == entry.count("(default: ") <= 1, (path, entry)
            assert not re.search(r"[^(]default[ ,;:] ?[\w'$]", entry), (path, entry)
    assert checked >= 25


def test_help_of_a_real_process_shows_run_defaults():
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--help"],
                          capture_output=True, text=True, timeout=60)
    text = " ".join(proc.stdout.split())
    assert proc.returncode == 0
    for stated in ("containers at once (default: 2)", "seconds per attempt (default: 3600.0)",
                   "(default: 1, or the profile's published number of runs)",
                   "where runs are written (default: results)"):
        assert stated in text


def test_shared_options_are_defined_once():
    """An option several commands take (harness.cli.options.OPTIONS) has one help, type and
    default everywhere; `clean --run-id` (remove that run's containers) is clean's own."""
    from harness.cli.options import OPTIONS

    seen: dict[str, list[tuple[str, ...]]] = {flag: [] for flag in OPTIONS}
    for path, parser in subcommand_parsers(build_parser()):
        for action in parser._actions:  # noqa: SLF001
            for flag in set(action.option_strings) & set(OPTIONS):
                if (path, flag) == (("clean",), "--run-id"):
                    continue
                seen[flag].append(path)
                spec = OPTIONS[flag]
                assert action.help == spec["help"], (path, flag)
                assert action.default == spec.get("default", action.default), (path, flag)
                assert action.type == spec.get("type"), (path, flag)
    assert all(len(paths) >= 2 for paths in seen.values()), seen


def test_the_budget_option_says_per_attempt():
    run = dict(subcommand_parsers(build_parser()))[("run",)]
    cap = next(a for a in run._actions if "--max-attempt-cost" in a.option_strings)  # noqa: SLF001
    assert cap.option_strings == ["--max-attempt-cost", "--max-instance-cost"]  # old name kept
    assert "one attempt" in cap.help and "per instance" not in cap.help
