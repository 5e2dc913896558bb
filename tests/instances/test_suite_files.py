"""The hub suite definitions load and say what the harness needs to run them."""

from __future__ import annotations

import pytest

from harness.evaluation.parsers import PARSERS
from harness.suites import load_suite

# Repos whose test output has no parser yet (their instances end as "no test report").
NO_PARSER_YET: set[tuple[str, str]] = set()


@pytest.mark.parametrize("name", ["swebench-lite", "swebench-verified", "swebench-pro"])
def test_hub_suites_load(name: str) -> None:
    suite = load_suite(name)
    assert suite.name == name
    assert suite.source.hub_dataset and suite.source.hub_split == "test"
    assert suite.image.mode == "prebuilt" and suite.image.template
    for repo, spec in [("", suite.tests), *suite.repo_tests.items()]:
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
