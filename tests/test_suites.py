"""The hub suite definitions load and say what the harness needs to run them."""

from __future__ import annotations

import pytest

from harness.evaluation.parsers import PARSERS
from harness.suites import SuiteError, load_suite

# Repos whose test output has no parser yet (their instances end as "no test report").
NO_PARSER_YET: set[tuple[str, str]] = set()


HUB_SUITES = {"swebench-lite": "swebench", "swebench-verified": "swebench",
              "swebench": "swebench", "swebench-multilingual": "swebench",
              "swebench-pro": "swebench-pro"}


@pytest.mark.parametrize("name", sorted(HUB_SUITES))
def test_hub_suites_load(name: str) -> None:
    suite = load_suite(name)
    assert suite.name == name and suite.grader == HUB_SUITES[name]
    assert suite.source.hub_dataset and suite.source.hub_split == "test"
    assert suite.image.mode == "prebuilt" and suite.image.template
    for repo, spec in [("", suite.tests), *suite.repo_tests.items()]:
        if not spec.command:  # no checked run: the official verdict stands alone
            assert name == "swebench-multilingual"
            continue
        if (name, repo) not in NO_PARSER_YET:
            assert spec.parser in PARSERS, (repo, spec.parser)
        assert "{tests}" in spec.command or (name, repo) in NO_PARSER_YET


@pytest.mark.parametrize("name", ["swebench-lite", "swebench-verified"])
def test_swebench_suites(name: str) -> None:
    suite = load_suite(name)
    assert suite.source.schema == "swebench"
    assert suite.image.workdir == "/testbed"
    assert "conda activate testbed" in suite.tests.pre_command
    django = suite.tests_for("django/django")
    assert (django.parser, django.selection) == ("django", "django-modules")
    assert "--settings=test_sqlite --parallel 1" in django.command
    assert "conda activate testbed" in django.pre_command  # inherited from [tests]
    assert suite.tests_for("sympy/sympy").parser == "sympy"
    assert suite.tests_for("astropy/astropy").parser == "pytest-junit"
    assert "{report}" in suite.tests_for("sphinx-doc/sphinx").command


def test_swebench_pro_suite() -> None:
    suite = load_suite("swebench-pro")
    assert suite.source.schema == "swebench_pro"
    assert suite.image.workdir == "/app"
    assert suite.image.template == "jefzda/sweap-images:{image_tag}"
    assert suite.tests.selection == "selected-test-files"
    assert suite.tests_for("ansible/ansible").parser == "pytest-junit"
    go = suite.tests_for("flipt-io/flipt")
    assert (go.parser, go.tests_joiner, go.selection) == ("gotest", "|", "go-test-names")
    assert "**/*_test.go" in go.protected
    assert suite.tests_for("NodeBB/NodeBB").parser == "mocha-json"
    assert suite.tests_for("element-hq/element-web").parser == "jest"


def test_a_suite_file_includes_shared_data_and_overrides_it(tmp_path) -> None:
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "base.toml").write_text(
        'version = "7"\ngrader = "swebench"\n[source]\nschema = "swebench"\nhub_split = "dev"\n'
        '[image]\nmode = "prebuilt"\ntemplate = "x/{instance_id}"\n[tests]\ntimeout = 5\n'
        '[sandbox]\ncpus = 4\nmemory = "8g"\n')
    suite_file = tmp_path / "mine.toml"
    suite_file.write_text('include = "common/base.toml"\nname = "mine"\n'
                          '[source]\nhub_dataset = "org/rows"\n[sandbox]\ncpus = 2\n')
    suite = load_suite(str(suite_file))
    assert (suite.version, suite.grader, suite.tests.timeout) == ("7", "swebench", 5)
    assert (suite.source.hub_dataset, suite.source.hub_split) == ("org/rows", "dev")
    assert (suite.sandbox.cpus, suite.sandbox.memory) == (2, "8g")
    before = suite.digest
    (tmp_path / "common" / "base.toml").write_text(
        (tmp_path / "common" / "base.toml").read_text().replace("timeout = 5", "timeout = 6"))
    assert load_suite(str(suite_file)).digest != before  # the included file is in the digest


def test_suite_file_errors_name_the_file_and_key(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('include = "nope.toml"\nname = "bad"\n')
    with pytest.raises(SuiteError, match="bad.toml: include 'nope.toml': no file"):
        load_suite(str(bad))
    bad.write_text('name = "bad"\nversion = "1"\ngrader = "hand"\n[source]\n[image]\n')
    with pytest.raises(SuiteError, match="grader 'hand' is not one of"):
        load_suite(str(bad))
    bad.write_text('name = "bad"\nversion = "1"\n[source]\n[image]\n[tests]\ncommand = ""\n')
    with pytest.raises(SuiteError, match=r"\[tests\]: no test command, and no official grader"):
        load_suite(str(bad))
    bad.write_text('name = "bad"\nversion = "1"\n[source]\n[image]\n[tests]\nspelling = "x"\n')
    with pytest.raises(SuiteError, match="spelling 'x' is not one of"):
        load_suite(str(bad))


@pytest.mark.parametrize(("key", "message"), [
    ('test_user = "nobody"', r"\[tests\]: test_user 'nobody' is not one of"),
    ('sentinel = "def {passing}(): pass"', r"\[tests\]: sentinel must name both"),
    ('sentinel_beside = "../x_test.go"', r"\[tests\]: sentinel_beside '../x_test.go' must be"),
])
def test_bad_guard_keys_name_the_file_and_key(tmp_path, key, message) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(f'name = "bad"\nversion = "1"\n[source]\n[image]\n[tests]\n{key}\n')
    with pytest.raises(SuiteError, match=f"bad.toml {message}"):
        load_suite(str(bad))


def test_swebench_pro_sandbox_is_the_official_runs() -> None:
    sandbox = load_suite("swebench-pro").sandbox
    assert (sandbox.cpus, sandbox.memory, sandbox.official_network) == (4, "8g", ("*",))
    assert load_suite("swebench-pro-starter").sandbox.official_network == ()


SUITE = 'name = "bad"\nversion = "1"\n[source]\ndir = "x"\n[image]\n'


@pytest.mark.parametrize(("body", "message"), [
    (SUITE + '[tests]\ntimeout = "long"\n', " [tests]: timeout: expected an integer, got 'long'"),
    (SUITE + '[tests]\nprotected = ["tests/**", 3]\n',
     " [tests]: protected[1]: expected a string, got 3"),
    (SUITE + '[sandbox]\ncpus = "2"\n', " [sandbox]: cpus: expected a number, got '2'"),
    (SUITE.replace('dir = "x"', 'schema = "pro"'),
     " [source]: schema: expected one of 'swebench', 'swebench_pro', got 'pro'"),
    (SUITE + '[repos."o/n"]\nenv = {A = 1}\n',
     " [repos.'o/n']: env[0][1]: expected a string, got 1"),
    (SUITE.replace('version = "1"', "version = 1"), ": version: expected a string, got 1"),
    (SUITE + 'colour = "red"\n', " [image]: unknown key(s) ['colour']"),
    ('bogus = 1\n' + SUITE, ": unknown key(s) ['bogus']; known: ['description', 'grader', "
                              "'grader_scripts', 'image', 'include', 'name', 'prompts', 'repos', "),
    (SUITE.replace('name = "bad"\n', ""), ": missing key 'name' (expected a string)"),
    (SUITE.replace("[image]\n", ""), ": missing key 'image' (expected a table)"),
])
def test_suite_files_are_typed(tmp_path, body, message):
    bad = tmp_path / "bad.toml"
    bad.write_text(body)
    with pytest.raises(SuiteError) as info:
        load_suite(str(bad))
    assert f"{bad}{message}" in str(info.value)
