"""A one-line edit of a machine changes a handful of lines of its generated module.

Constants are named after what they hold, so an edit renames nothing it does not touch,
and a timeout is stated once (the timer) and referred to everywhere else.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from pystator.generator.pipeline import generate

ROOT = Path(__file__).resolve().parents[2]
ORDER = (ROOT / "examples" / "order_fsm.yaml").read_text(encoding="utf-8")
#: Lines every edit changes: the source hash and the spec's fingerprint.
BOOKKEEPING = re.compile(r"^(# source sha256: |    fingerprint=)")
#: A module constant, or a variable of the function that builds the candidate table.
CONSTANT = re.compile(r"^(?:(_\w+): Final = |    (\w+) = Candidate\()", re.MULTILINE)


def _module(tmp_path: Path, text: str, name: str = "order_fsm.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return generate(path, display_name=name).text


def _constants(text: str) -> set[str]:
    return {constant or variable for constant, variable in CONSTANT.findall(text)}


def _changed(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
    return [
        line[1:]
        for line in diff
        if line[:1] in "+-"
        and not line.startswith(("+++", "---"))
        and not BOOKKEEPING.match(line[1:])
    ]


@pytest.fixture
def original(tmp_path: Path) -> str:
    return _module(tmp_path, ORDER, "original.yaml")


def test_adding_a_transition_changes_a_handful_of_lines(tmp_path: Path, original: str) -> None:
    edited = ORDER + "  - {trigger: exchange_reject, source: OPEN, dest: REJECTED}\n"
    changed = _changed(original, _module(tmp_path, edited, "original.yaml"))
    # The new candidate is one constant of about ten lines (its exits and entries
    # included); the rest is the table entry, the trigger's docstring and the diagram.
    assert len(changed) <= 24, "\n".join(changed)


def test_adding_a_transition_renames_no_constant(tmp_path: Path, original: str) -> None:
    edited = ORDER + "  - {trigger: expire, source: PENDING_NEW, dest: REJECTED}\n"
    after = _module(tmp_path, edited, "original.yaml")
    assert _constants(original) <= _constants(after)


def test_renaming_a_guard_changes_only_the_lines_that_name_it(
    tmp_path: Path, original: str
) -> None:
    edited = ORDER.replace("      - can_cancel\n", "      - may_cancel\n")
    changed = _changed(original, _module(tmp_path, edited, "original.yaml"))
    assert changed
    assert all(re.search("(can|may)_cancel", line, re.IGNORECASE) for line in changed), changed


def test_adding_an_effect_to_the_first_state_renames_no_other_constant(
    tmp_path: Path, original: str
) -> None:
    first = '      - { set: { status: "pending_new" } }\n'
    edited = ORDER.replace(first, first + "      - { set: { sent: true } }\n", 1)
    after = _module(tmp_path, edited, "original.yaml")
    assert _constants(original) <= _constants(after)
    assert len(_changed(original, after)) <= 10, "\n".join(_changed(original, after))


def test_a_timeout_is_stated_once_with_keywords(original: str) -> None:
    assert original.count("2000") == 1
    assert "delay_ms=2000," in original and 'kind="timeout"' in original
    assert "2.0" not in original
    assert original.count("_TIMER_TIMEOUT_PENDING_NEW.delay_ms") == 2


def test_constant_names_say_what_they_hold(original: str) -> None:
    names = _constants(original)
    assert {
        "exchange_ack_from_pending_new",
        "cancel_from_open",
        "execution_report_from_open_to_filled",
        "_GUARD_CAN_CANCEL",
        "_GUARD_FILL_QTY_GT_0",
        "_SET_STATUS_OPEN",
        "_ACTION_RECORD_FILL_FINAL_TRUE",
        "_TIMER_TIMEOUT_PENDING_NEW",
    } <= names
    assert not any(re.search(r"_\d+$", name) for name in names if "GT_0" not in name)
