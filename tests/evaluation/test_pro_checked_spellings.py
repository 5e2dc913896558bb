"""SWE-bench Pro spellings: our structured ids, spelled as the official parsers print them,
checked on names exactly as the dataset lists them (instances named in each test)."""

from __future__ import annotations

import json

import pytest

from harness.evaluation.grading import SPELLINGS, EvalStatus, grade, group_tests, spelled_index
from harness.evaluation.parsers import parse_results


@pytest.mark.parametrize(("ours", "official"), [
    # instance_element-hq__element-web-cf3c899d...: only the innermost describe is kept
    ("test/voice-broadcast/models/VoiceBroadcastPlayback-test.ts | VoiceBroadcastPlayback | "
     "when there is a broadcast | and calling start | should be in buffering state",
     "test/voice-broadcast/models/VoiceBroadcastPlayback-test.ts | and calling start | "
     "should be in buffering state"),
    # a describe keeps its parentheses; a title is cut at its first "("
    ("test/voice-broadcast/components/atoms/VoiceBroadcastHeader-test.tsx | VoiceBroadcastHeader"
     " | when rendering a live (grey) broadcast header with broadcast info | should render the "
     "header with a grey live badge",
     "test/voice-broadcast/components/atoms/VoiceBroadcastHeader-test.tsx | when rendering a "
     "live (grey) broadcast header with broadcast info | should render the header with a grey "
     "live badge"),
    ("test/audio/Playback-test.ts | Playback | prepare() | decodes audio data when not greater "
     "than 5mb", "test/audio/Playback-test.ts | prepare() | decodes audio data when not greater "
     "than 5mb"),
    ("test/utils/a-test.ts | A | calls foo() then bar (twice)",
     "test/utils/a-test.ts | A | calls foo"),
    ("test/utils/a-test.ts | top level test (1 ms)", "test/utils/a-test.ts | top level test"),
    ("test/utils/a-test.ts |  padded  | title ", "test/utils/a-test.ts | padded | title"),
    ("test/utils/broken-test.ts", "test/utils/broken-test.ts"),  # a file that did not run
])
def test_element_web_spelling(ours: str, official: str) -> None:
    assert SPELLINGS["element-web"](ours) == official


@pytest.mark.parametrize(("ours", "official"), [
    # instance_protonmail__webclients-944adbfe...: a single describe is dropped
    ("packages/metrics/tests/observeApiError.test.ts | observeApiError | returns failure if error"
     " is undefined", "tests/observeApiError.test.ts | returns failure if error is undefined"),
    # instance_protonmail__webclients-cb8cc309...: describes below the outermost, space-joined
    ("applications/drive/src/app/utils/replaceLocalURL.test.ts | replaceLocalURL | proton.local"
     " | https://drive.proton.black/test => https://drive.proton.local/test",
     "src/app/utils/replaceLocalURL.test.ts | proton.local https://drive.proton.black/test => "
     "https://drive.proton.local/test"),
    # instance_protonmail__webclients-863d524b...: no describe; titles keep their parentheses
    ("packages/components/payments/client-extensions/usePollEvents.test.ts | should run call() "
     "several times and then stop", "payments/client-extensions/usePollEvents.test.ts | should "
     "run call() several times and then stop"),
    ("applications/mail/src/a.test.ts | A | B | C | t", "src/a.test.ts | B C t"),
    ("packages/x.test.ts | t", "packages/x.test.ts | t"),  # no workspace folder to drop
    ("packages/shared/lib/broken.test.ts", "packages/shared/lib/broken.test.ts"),
])
def test_protonmail_spelling(ours: str, official: str) -> None:
    assert SPELLINGS["protonmail"](ours) == official


@pytest.mark.parametrize(("ours", "official"), [
    ("test/units/a.py::TestX::test_y[a b-1]", "test/units/a.py::TestX::test_y[a"),
    ("tests/unit/a.py::test_plain", "tests/unit/a.py::test_plain"),
])
def test_cut_at_space_spelling(ours: str, official: str) -> None:
    assert SPELLINGS["cut-at-space"](ours) == official


def jest_report(file: str, *tests: tuple[list[str], str, str]) -> str:
    return json.dumps({"testResults": [{"name": f"/app/{file}", "status": "passed",
                                        "assertionResults": [
        {"ancestorTitles": a, "title": t, "status": s} for a, t, s in tests]}]})


def test_element_web_names_from_the_dataset_resolve_against_a_jest_report() -> None:
    file = "test/components/views/rooms/MessageComposer-test.tsx"
    report = jest_report(
        file,
        (["MessageComposer"], "Renders a SendMessageComposer and MessageComposerButtons by "
                              "default", "passed"),
        (["MessageComposer"], "Does not render a SendMessageComposer or MessageComposerButtons "
                              "when room is tombstoned", "passed"),
        (["MessageComposer", "with a room (tombstoned)"], "shows (1) notice", "passed"),
        (["MessageComposer", "with a room (tombstoned)"], "shows (2) notice", "failed"),
    )
    outcomes = parse_results("jest", log="", report=report, workdir="/app")
    f2p = (f"{file} | MessageComposer | Does not render a SendMessageComposer or "
           "MessageComposerButtons when room is tombstoned",)
    p2p = (f"{file} | MessageComposer | Renders a SendMessageComposer and "
           "MessageComposerButtons by default",)
    assert grade(group_tests(outcomes, f2p, p2p, "element-web")) is EvalStatus.RESOLVED
    # two tests cut to one official name: it passes only if both passed
    index = spelled_index(outcomes, "element-web")
    assert len(index[f"{file} | with a room (tombstoned) | shows"]) == 2
    groups = group_tests(outcomes, (f"{file} | with a room (tombstoned) | shows",), (),
                         "element-web")
    assert groups.f2p_failure and not groups.missing


def test_exact_spelling_leaves_mocha_names_for_nodebb_as_they_are() -> None:
    # instance_NodeBB__NodeBB-f1a80d48...: `file | fullTitle`, a trailing space kept
    mocha = {"stats": {"passes": 2}, "pending": [], "failures": [], "passes": [
        {"title": "should show nothing if group is administrators ",
         "fullTitle": "helpers should show nothing if group is administrators ",
         "file": "/app/test/template-helpers.js", "err": {}},
        {"title": "should fail to upload invalid file type",
         "fullTitle": "Upload Controllers admin uploads should fail to upload invalid file type",
         "file": "/app/test/uploads.js", "err": {}}]}
    outcomes = parse_results("mocha-json", log="", report=json.dumps(mocha), workdir="/app")
    f2p = ("test/uploads.js | Upload Controllers admin uploads should fail to upload invalid "
           "file type",)
    p2p = ("test/template-helpers.js | helpers should show nothing if group is administrators ",)
    assert grade(group_tests(outcomes, f2p, p2p, "exact")) is EvalStatus.RESOLVED
