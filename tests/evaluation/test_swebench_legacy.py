"""swebench 4.1.0's eval scripts for rows without an eval_script column: the real package, in its
real subprocess (needs `.venv/swebench-4.1.0`, which docker/setup.sh installs).

The rows below are small but shaped like the real ones (real repo/version pairs, valid diffs):
the fixture samples' test patches have hunk headers longer than their bodies, which unidiff (and
so 4.1.0) rejects."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from harness.evaluation import swebench_legacy
from harness.evaluation.swebench_legacy import (
    LEGACY_RELEASE,
    LegacyInstallError,
    LegacySpec,
    LegacySpecError,
    install_command,
    legacy_specs,
)

BASE = "d26b2424437dabeeca94d7900b37d2df4410da0c"
START, END = ": '>>>>> Start Test Output'", ": '>>>>> End Test Output'"


def _diff(path: str, old: str, new: str) -> str:
    return (f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n"
            f"+++ b/{path}\n@@ -1,2 +1,2 @@\n {old}\n-{old}\n+{new}\n")


NEW_FILE = ("diff --git a/tests/auth_tests/test_new.py b/tests/auth_tests/test_new.py\n"
            "new file mode 100644\nindex 0000000..3333333\n--- /dev/null\n"
            "+++ b/tests/auth_tests/test_new.py\n@@ -0,0 +1 @@\n+import unittest\n")


def _row(iid: str, repo: str, version: str, test_patch: str, **extra) -> dict:
    return {"instance_id": iid, "repo": repo, "version": version, "base_commit": BASE,
            "patch": _diff("src.py", "a = 1", "a = 2"), "test_patch": test_patch,
            "FAIL_TO_PASS": json.dumps(["test_a"]), "PASS_TO_PASS": "[]", **extra}


DJANGO = _row("django__django-11099", "django/django", "3.0",
              _diff("tests/auth_tests/test_validators.py", "import re", "import re  # x")
              + NEW_FILE)
SYMPY = _row("sympy__sympy-13031", "sympy/sympy", "1.1",
             _diff("sympy/matrices/tests/test_sparse.py", "from sympy import S",
                   "from sympy import S, Symbol"))
ASTROPY = _row("astropy__astropy-12907", "astropy/astropy", "4.3",
               _diff("astropy/modeling/tests/test_separable.py", "import pytest",
                     "import pytest  # x"),
               FAIL_TO_PASS=["test_separable[compound_model6-result6]"])
PYTEST = _row("pytest-dev__pytest-7373", "pytest-dev/pytest", "5.4",
              _diff("testing/test_mark.py", "import os", "import os  # x"))
MARKED = _row("markedjs__marked-1683", "markedjs/marked", "0.7",
              _diff("test/unit/marked-spec.js", "const marked = 1;", "const marked = 2;"))


@pytest.fixture(scope="module")
def specs() -> dict:
    return legacy_specs([DJANGO, SYMPY, ASTROPY, PYTEST, MARKED])


def test_django_script_is_the_41_spec(specs: dict) -> None:
    spec = specs["django__django-11099"]
    assert isinstance(spec, LegacySpec)
    assert (spec.log_parser, spec.eval_type) == ("parse_log_django", "pass_and_fail")
    script = spec.eval_script
    assert script.startswith("#!/bin/bash\nset -uxo pipefail\n") and script.endswith("\n")
    lines = script.splitlines()
    # only the file that exists at base_commit is checked out; the new test file is not
    checkout = f"git checkout {BASE} tests/auth_tests/test_validators.py"
    assert lines.count(checkout) == 2  # before the test patch, and the revert at the end
    assert script.index(checkout) < script.index("git apply -v - <<'EOF_114329324912'")
    assert DJANGO["test_patch"] in script
    test_cmd = ("./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 "
                "auth_tests.test_validators auth_tests.test_new")
    start, end = lines.index(START), lines.index(END)
    assert lines[start + 1:end] == [test_cmd]
    assert lines[-1] == checkout
    # 4.1.0 reinstalls the package before the tests, and sets up the locale for django 3.0
    assert "python -m pip install -e ." in lines[:start]
    assert "export LC_ALL=en_US.UTF-8" in lines[:start]


def test_other_repos(specs: dict) -> None:
    sympy, astropy, pytest_, marked = (specs[k] for k in (
        "sympy__sympy-13031", "astropy__astropy-12907", "pytest-dev__pytest-7373",
        "markedjs__marked-1683"))
    assert sympy.log_parser == "parse_log_sympy"
    assert ("PYTHONWARNINGS='ignore::UserWarning,ignore::SyntaxWarning' bin/test -C --verbose "
            "sympy/matrices/tests/test_sparse.py") in sympy.eval_script.splitlines()
    assert astropy.log_parser == "parse_log_pytest_v2"
    assert "pytest -rA astropy/modeling/tests/test_separable.py" in astropy.eval_script
    assert "python -m pip install -e .[test] --verbose" in astropy.eval_script
    assert pytest_.log_parser == "parse_log_pytest"
    assert "pytest -rA testing/test_mark.py" in pytest_.eval_script.splitlines()
    assert (marked.log_parser, marked.eval_type) == ("parse_log_marked", "fail_only")
    lines = marked.eval_script.splitlines()
    assert lines[lines.index(START) + 1] == ("./node_modules/.bin/jasmine --no-color "
                                             "--config=jasmine.json")


def test_unknown_version_and_repo_and_bad_patch() -> None:
    bad_version = _row("django__django-1", "django/django", "0.1", DJANGO["test_patch"])
    bad_repo = _row("acme__widgets-2", "acme/widgets", "1.0", DJANGO["test_patch"])
    bad_patch = _row("django__django-3", "django/django", "3.0",
                     "diff --git a/t.py b/t.py\n--- a/t.py\n+++ b/t.py\n@@ -1,5 +1,5 @@\n-a\n+b\n")
    got = legacy_specs([bad_version, DJANGO, bad_repo, bad_patch])
    err = got["django__django-1"]
    assert isinstance(err, LegacySpecError) and isinstance(err, ValueError)
    for part in ("django__django-1", "django/django", "'0.1'", "3.0", "5.2", "1.11"):
        assert part in str(err)
    assert isinstance(got["django__django-11099"], LegacySpec)
    assert "acme/widgets" in str(got["acme__widgets-2"])
    assert "django__django-3" in str(got["django__django-3"])
    assert "Traceback" not in str(got["django__django-3"])


def test_batch_of_100_is_one_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_run = subprocess.run

    def counting_run(*args, **kwargs):
        calls.append(args)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(swebench_legacy.subprocess, "run", counting_run)
    rows = [{**DJANGO, "instance_id": f"django__django-{n}"} for n in range(100)]
    t0 = time.monotonic()
    got = legacy_specs(rows)
    elapsed = time.monotonic() - t0
    assert len(calls) == 1
    assert len(got) == 100 and all(isinstance(s, LegacySpec) for s in got.values())
    assert elapsed < 60, elapsed  # one import (a few seconds), not 100


def test_missing_install_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("HARNESS_SWEBENCH_LEGACY", str(tmp_path / "absent"))
    with pytest.raises(LegacyInstallError) as info:
        legacy_specs([DJANGO])
    message = str(info.value)
    assert install_command(tmp_path / "absent") in message
    assert f"--no-deps --target {tmp_path / 'absent'} swebench=={LEGACY_RELEASE}" in message


def test_broken_install_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / "swebench").mkdir()
    (tmp_path / "swebench" / "__init__.py").write_text('__version__ = "0.0"\n')
    monkeypatch.setenv("HARNESS_SWEBENCH_LEGACY", str(tmp_path))
    with pytest.raises(LegacyInstallError) as info:
        legacy_specs([DJANGO])
    assert "unusable" in str(info.value) and "Traceback" not in str(info.value)


def test_502_make_test_spec_adds_the_exit_code_marker(specs: dict) -> None:
    from swebench.harness.constants import TEST_EXIT_CODE, TEST_EXIT_CODE_VAR
    from swebench.harness.log_parsers import PARSER_REGISTRY
    from swebench.harness.utils import make_test_spec

    # FAIL_TO_PASS as a JSON string (django) and as a list (astropy): 5.0.2 reads both
    cases = [(DJANGO, ["test_a"]), (ASTROPY, ["test_separable[compound_model6-result6]"])]
    for row, fail_to_pass in cases:
        iid = row["instance_id"]
        spec = specs[iid]
        assert spec.log_parser in PARSER_REGISTRY
        test_spec = make_test_spec({
            **row, "image": f"sweb.eval.x86_64.{iid}:latest", "eval_script": spec.eval_script,
            "log_parser": spec.log_parser, "eval_type": spec.eval_type})
        lines = test_spec.eval_script.splitlines()
        end = lines.index(END)
        assert lines[end - 1] == f"{TEST_EXIT_CODE_VAR}=$?"
        assert lines[end + 1] == f'echo "{TEST_EXIT_CODE}: ${TEST_EXIT_CODE_VAR}"'
        # nothing else changed: drop the two marker lines and it is 4.1.0's script again
        assert "\n".join(lines[:end - 1] + [END] + lines[end + 2:]) + "\n" == spec.eval_script
        assert fail_to_pass == test_spec.FAIL_TO_PASS
