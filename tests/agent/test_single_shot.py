"""Single-shot mode: the prompt, and the run that retrieves files, asks the model and repairs
its diff (diff extraction and repair: tests/patches/)."""

from __future__ import annotations

import pytest

from harness.agent.prompts import PromptError, PromptTemplate, load_prompt
from harness.agent.single_shot import build_prompt, run_single_shot
from harness.instances.model import Instance
from harness.testing.calc_repo import BASE, DIVIDE_FIX, DUP, apply_and_read, kinds, make_diff

# ---------------------------------------------------------------------------- prompt


def make_instance(**fields) -> Instance:
    base = dict(instance_id="calc__calc-1", repo="calc/calc", base_commit="0" * 40,
                problem_statement="divide(1, None) raises TypeError instead of ZeroDivisionError",
                patch="", test_patch="", fail_to_pass=("t",), pass_to_pass=())
    return Instance(**{**base, **fields})


def test_prompt_for_a_swebench_instance_has_no_pro_sections():
    context = "[start of calc/ops.py]\n1 x\n[end of calc/ops.py]"
    system, user = build_prompt(make_instance(), context)
    assert (system["role"], user["role"]) == ("system", "user")
    assert "```diff" in system["content"] and "a/ and b/" in system["content"]
    assert "divide(1, None) raises TypeError" in user["content"]
    assert context in user["content"]
    assert "Requirements:" not in user["content"]
    assert "New interfaces introduced:" not in user["content"]
    assert "{" not in user["content"]


def test_prompt_for_a_pro_instance_uses_references_format():
    instance = make_instance(problem_statement="Add median().", requirements="Must sort.",
                             interface="def median(values) -> float")
    user = build_prompt(instance, "CODE")[1]["content"]
    assert ("Add median().\n\nRequirements:\nMust sort.\n\n"
            "New interfaces introduced:\ndef median(values) -> float") in user


def test_placeholders_inside_the_problem_statement_are_left_alone():
    instance = make_instance(problem_statement="format('{context}') and {extra} break")
    user = build_prompt(instance, "THE-CODE")[1]["content"]
    assert "format('{context}') and {extra} break" in user
    assert user.count("THE-CODE") == 1


def test_the_default_template_is_the_single_shot_toml_file():
    template = load_prompt("single-shot")
    assert build_prompt(make_instance(), "C") == build_prompt(make_instance(), "C", template)
    custom = PromptTemplate("mine", "SYS", "{problem_statement}{extra}\n--\n{context}")
    assert build_prompt(make_instance(problem_statement="P"), "C", custom) == [
        {"role": "system", "content": "SYS"}, {"role": "user", "content": "P\n--\nC"},
    ]
    with pytest.raises(PromptError, match="context"):
        build_prompt(make_instance(), "C", PromptTemplate("bad", "s", "{problem_statement}{extra}"))


# ---------------------------------------------------------------------------- run_single_shot

SLOPPY_REPLY = """The check misses None. Fix:

```diff
--- a/calc/ops.py
+++ b/calc/ops.py
@@ -20,3 +20,3 @@ def divide(a, b):
 def divide(a, b):
-    if b == 0:
+    if b == 0 or b is None:
         raise ZeroDivisionError("division by zero")
```
"""


class FakeModel:
    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls: list[list[dict]] = []

    def __call__(self, messages: list[dict]) -> str:
        self.calls.append(messages)
        return self.reply


def test_run_single_shot_retrieves_prompts_and_repairs(repo):
    model = FakeModel(SLOPPY_REPLY)
    result = run_single_shot(make_instance(), BASE, model, top_k=2, max_chars=5000)
    assert result.exit_status == "submitted" and result.error is None
    assert result.reply_text == SLOPPY_REPLY
    assert kinds(result.repairs) == {"git-header", "anchor"}
    assert result.context_paths[0] == "calc/ops.py"
    assert len(model.calls) == 1
    assert '[start of calc/ops.py]\n1 """Arithmetic helpers."""' in model.calls[0][1]["content"]
    assert apply_and_read(repo, result.patch, "calc/ops.py") == DIVIDE_FIX


def test_run_single_shot_oracle_shows_the_gold_files_that_exist(repo):
    gold = make_diff(repo, {"calc/dup.py": DUP.replace("0", "1"), "calc/new.py": "x = 1\n"})
    model = FakeModel(SLOPPY_REPLY)
    result = run_single_shot(make_instance(patch=gold), BASE, model, top_k=5, max_chars=5000,
                             oracle=True)
    assert result.context_paths == ["calc/dup.py"]
    assert "[start of calc/ops.py]" not in model.calls[0][1]["content"]
    assert "[start of calc/dup.py]" in model.calls[0][1]["content"]


@pytest.mark.parametrize(("reply", "reason"), [
    ("I think the bug is in divide().", "the reply contains no diff"),
    ("```diff\n--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1 +1 @@\nrewrite it all\n```",
     "is inside a hunk but is not a context"),
])
def test_run_single_shot_reports_a_malformed_patch(reply, reason):
    result = run_single_shot(make_instance(), BASE, FakeModel(reply), top_k=3, max_chars=2000)
    assert (result.patch, result.exit_status) == (None, "malformed_patch")
    assert reason in result.error
    assert result.reply_text == reply


def test_model_errors_propagate_instead_of_becoming_malformed_patches():
    def broken(messages: list[dict]) -> str:
        raise ConnectionError("429 engine_overloaded_error")

    with pytest.raises(ConnectionError):
        run_single_shot(make_instance(), BASE, broken, top_k=3, max_chars=2000)
