import re

import pytest

from harness.evaluation.paths import confined, matches_any, protected_paths, shadow_ere
from harness.patches import patch_sha256, split_file_diffs, strip_binary, touched_paths

TEXT = """diff --git a/pkg/mod.py b/pkg/mod.py
index 1111111..2222222 100644
--- a/pkg/mod.py
+++ b/pkg/mod.py
@@ -1,2 +1,2 @@
-x = 1
+x = 2
 y = 3
"""
BINARY = """diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..1234567
GIT binary patch
literal 4
LcmZQzWMT#Y01f~L

literal 0
HcmV?d00001

"""
CONFTEST = """diff --git a/conftest.py b/conftest.py
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/conftest.py
@@ -0,0 +1 @@
+import pytest
"""
RENAME = """diff --git a/old/name.py b/new/name.py
similarity index 100%
rename from old/name.py
rename to new/name.py
"""


def test_split_and_touched_paths_cover_create_modify_rename():
    patch = TEXT + BINARY + CONFTEST + RENAME
    assert [d.path for d in split_file_diffs(patch)] == [
        "pkg/mod.py", "logo.png", "conftest.py", "new/name.py"]
    assert touched_paths(patch) == [
        "pkg/mod.py", "logo.png", "conftest.py", "old/name.py", "new/name.py"]
    created = split_file_diffs(CONFTEST)[0]
    assert created.old_path is None and created.new_path == "conftest.py"


def test_strip_binary_keeps_text_sections_and_names_what_it_dropped():
    kept, dropped = strip_binary(TEXT + BINARY + CONFTEST)
    assert dropped == ["logo.png"]
    assert "GIT binary patch" not in kept
    assert kept == TEXT + CONFTEST
    plain = ("diff --git a/a.bin b/a.bin\nindex 1..2 100644\n"
             "Binary files a/a.bin and b/a.bin differ\n")
    assert strip_binary(TEXT + plain) == (TEXT, ["a.bin"])


def test_plain_unified_diff_without_git_headers():
    plain = "--- a/x.py\t2024-01-01\n+++ b/x.py\t2024-01-02\n@@ -1 +1 @@\n-a\n+b\n"
    assert touched_paths(plain) == ["x.py"]


def test_protected_patterns_match_test_dirs_and_conftest_at_any_depth():
    patterns = ("tests/**", "**/conftest.py", "**/test_*.py", "**/*.pth")
    assert matches_any("conftest.py", patterns)
    assert matches_any("src/pkg/conftest.py", patterns)
    assert matches_any("tests/unit/helpers.py", patterns)
    assert matches_any("pkg/test_mod.py", patterns)
    assert matches_any("site/evil.pth", patterns)
    assert not matches_any("pkg/mod.py", patterns)
    assert not matches_any("pkg/contest.py", patterns)
    assert protected_paths(TEXT + CONFTEST, patterns) == ["conftest.py"]


def test_patch_hash_treats_none_as_empty_and_changes_with_content():
    assert patch_sha256(None) == patch_sha256("")
    assert patch_sha256(TEXT) != patch_sha256(TEXT + "\n")


def test_paths_outside_the_repo_are_never_protected_paths():
    escape = ("--- a/tests/../../../tmp/harness-eval/test.patch\n"
              "+++ b/tests/../../../tmp/harness-eval/test.patch\n")
    inside = "--- a/tests/./x/../test_a.py\n+++ b/tests/./x/../test_a.py\n@@ -1 +1 @@\n-a\n+b\n"
    assert protected_paths(escape + inside, ("tests/**",)) == ["tests/test_a.py"]
    assert confined("/etc/passwd") is None and confined("a/../..") is None
    assert confined("a/./b/../c") == "a/c"


@pytest.mark.parametrize(("path", "shadows"), [
    ("pytest.py", True), ("pytest/__main__.py", True), ("_pytest/main.py", True),
    ("pytest_cov/plugin.py", True), ("fnmatch.py", True), ("json/__init__.py", True),
    ("_pytest.cpython-311-x86_64-linux-gnu.so", True), ("pluggy.so", True),
    ("src/pytest.py", False), ("calc/json.py", False), ("jsonish.py", False),
    ("pytestx.py", False), ("tests/fnmatch.py", False),
])
def test_shadow_ere_matches_root_modules_only(path, shadows):
    ere = shadow_ere(["@stdlib", "pytest", "_pytest", "pytest_*", "pluggy"])
    assert bool(re.fullmatch(ere, path)) is shadows


def test_no_shadowed_modules_is_no_pattern():
    assert shadow_ere([]) == ""
