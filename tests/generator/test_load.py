"""Tests for the load stage: positions for every node, and a diagnostic for every kind of
bad input (syntax, duplicates, size, bombs, encoding, unreadable files).
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pystator.generator import load as load_module
from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.generator.load import (
    MAX_ALIASES,
    MAX_BYTES,
    MAX_DEPTH,
    Position,
    load_data,
    load_file,
    load_text,
)


def failure(text: str | bytes) -> Diagnostic:
    with pytest.raises(CompileError) as caught:
        load_text(text, "m.yaml")
    assert len(caught.value.diagnostics) == 1
    found = caught.value.diagnostics[0]
    assert found.file == "m.yaml"
    assert found.message and found.hint
    return found


def where(found: Diagnostic) -> tuple[str, int, int]:
    return found.code, found.line, found.col


def file_failure(path: Path) -> Diagnostic:
    with pytest.raises(CompileError) as caught:
        load_file(path)
    assert len(caught.value.diagnostics) == 1
    return caught.value.diagnostics[0]


# -- positions ---------------------------------------------------------------------------------


def test_positions_of_nested_keys() -> None:
    document = load_text("states:\n  - name: A\n")
    assert set(document.positions) == {(), ("states",), ("states", 0), ("states", 0, "name")}
    assert set(document.key_positions) == {("states",), ("states", 0, "name")}
    assert document.key_position(("states",)) == Position(1, 1)
    assert document.position(("states", 0)) == Position(2, 5)
    assert document.key_position(("states", 0, "name")) == Position(2, 5)
    assert document.position(("states", 0, "name")) == Position(2, 11)


def test_positions_of_block_values() -> None:
    document = load_text("meta:\n  name: x\nstates:\n  - name: A\n    type: initial\n")
    assert document.position(()) == Position(1, 1)
    assert document.position(("meta", "name")) == Position(2, 9)
    assert document.position(("states", 0, "type")) == Position(5, 11)
    assert document.key_position(("states", 0, "type")) == Position(5, 5)
    assert document.key_position(("states",)) == Position(3, 1)


def test_unknown_path_falls_back_to_nearest_ancestor() -> None:
    document = load_text("states:\n  - name: A\n")
    assert document.position(("states", 0, "missing", 3)) == Position(2, 5)


def test_unknown_top_level_path_falls_back_to_root() -> None:
    document = load_text("\n\nstates: []\n")
    assert document.position(("nothing",)) == Position(3, 1)


def test_key_position_of_list_item_is_its_value_position() -> None:
    document = load_text("states:\n  - A\n")
    assert document.key_position(("states", 0)) == Position(2, 5)


def test_json_input_has_positions() -> None:
    document = load_text('{\n  "states": [\n    {"name": "A"}\n  ]\n}\n')
    assert document.data == {"states": [{"name": "A"}]}
    assert document.key_position(("states",)) == Position(2, 3)
    assert document.position(("states", 0)) == Position(3, 5)
    assert document.position(("states", 0, "name")) == Position(3, 14)


def test_tab_indented_json_loads_with_positions() -> None:
    document = load_text('{\n\t"states": [\n\t\t{"name":\t"A\\tB"}\n\t]\n}\n')
    assert document.data == {"states": [{"name": "A\tB"}]}
    assert document.position(("states", 0, "name")) == Position(3, 12)


def test_aliased_value_is_positioned_where_the_alias_is_written() -> None:
    document = load_text("base: &b {x: 1}\nuse:\n  - *b\n")
    assert document.data["use"] == [{"x": 1}]
    assert document.position(("use", 0)) == Position(3, 5)


def test_crlf_line_endings_keep_line_numbers() -> None:
    document = load_text("a: 1\r\nb:\r\n  c: 2\r\n")
    assert document.position(("b", "c")) == Position(3, 6)


def test_utf8_byte_order_mark_is_ignored() -> None:
    document = load_text(b"\xef\xbb\xbfa: 1\n")
    assert document.data == {"a": 1}
    assert document.key_position(("a",)) == Position(1, 1)


def test_columns_count_characters_not_bytes() -> None:
    document = load_text("é: ü\n".encode())
    assert document.position(("é",)) == Position(1, 4)


# -- scalar values -----------------------------------------------------------------------------


def test_on_off_yes_no_stay_strings() -> None:
    document = load_text("a: on\nb: off\nc: yes\nd: no\ne: Y\nf: n\ng: YES\nh: Off\n")
    assert document.data == {
        "a": "on",
        "b": "off",
        "c": "yes",
        "d": "no",
        "e": "Y",
        "f": "n",
        "g": "YES",
        "h": "Off",
    }


def test_only_true_and_false_become_booleans() -> None:
    document = load_text("a: true\nb: True\nc: TRUE\nd: false\ne: False\nf: FALSE\n")
    assert document.data == {"a": True, "b": True, "c": True, "d": False, "e": False, "f": False}
    assert all(type(value) is bool for value in document.data.values())


def test_dates_and_timestamps_stay_strings() -> None:
    document = load_text("d: 2024-01-01\nt: 2024-01-01T10:00:00Z\n")
    assert document.data == {"d": "2024-01-01", "t": "2024-01-01T10:00:00Z"}


def test_numbers_and_null_load_as_usual() -> None:
    document = load_text("a: 5\nb: -1.5\nc: 0x1F\nd: ~\ne: null\nf:\ng: .inf\n")
    assert document.data == {
        "a": 5,
        "b": -1.5,
        "c": 31,
        "d": None,
        "e": None,
        "f": None,
        "g": math.inf,
    }


def test_exponent_numbers_are_floats_as_in_json() -> None:
    document = load_text("a: 1e5\nb: 2.5E-3\nc: !!str 1e5\n")
    assert document.data == {"a": 100000.0, "b": 0.0025, "c": "1e5"}


def test_base_sixty_numbers_stay_strings() -> None:
    assert load_text("at: 12:30\n").data == {"at": "12:30"}


def test_quoted_scalars_stay_strings() -> None:
    document = load_text("a: 'true'\nb: \"5\"\nc: 'null'\nd: |\n  on\n")
    assert document.data == {"a": "true", "b": "5", "c": "null", "d": "on\n"}


def test_integer_too_long_to_convert_is_rejected() -> None:
    found = failure("a: " + "7" * 5000 + "\n")
    assert where(found) == ("PS001", 1, 4)
    assert "cannot be read as !!int" in found.message


def test_explicit_number_tag_on_text_is_rejected() -> None:
    found = failure("a: !!float abc\n")
    assert where(found) == ("PS001", 1, 4)
    assert "'abc' cannot be read as !!float" in found.message


def test_non_string_scalar_keys_keep_their_text() -> None:
    document = load_text("1: a\ntrue: b\nnull: c\non: d\n1.5: e\n")
    assert document.data == {"1": "a", "true": "b", "null": "c", "on": "d", "1.5": "e"}


def test_json_surrogate_pair_escapes_are_joined() -> None:
    assert load_text('{"a": "\\ud83d\\ude00"}').data == {"a": "\U0001f600"}


def test_unpaired_surrogate_escape_is_rejected() -> None:
    found = failure('{"a": "x\\ud83d"}')
    assert where(found) == ("PS001", 1, 7)
    assert "surrogate" in found.message


@pytest.mark.parametrize(
    "text",
    ["a: !!python/object:os.system {}\n", "a: !!binary aGk=\n", "a: !custom x\n", "a: !!set {x}\n"],
)
def test_unsupported_tags_are_rejected(text: str) -> None:
    found = failure(text)
    assert where(found) == ("PS001", 1, 4)
    assert "tag" in found.message


def test_standard_tags_are_accepted() -> None:
    document = load_text("a: !!str 5\nb: !!int '7'\nc: !!map {x: 1}\nd: !!seq [1]\n")
    assert document.data == {"a": "5", "b": "7", "c": {"x": 1}, "d": [1]}


# -- duplicate and unusual keys -------------------------------------------------------------


def test_duplicate_key_reports_second_occurrence() -> None:
    found = failure("states: []\nmeta: {}\nstates: []\n")
    assert where(found) == ("PS002", 3, 1)
    assert "'states'" in found.message
    assert "first on line 1" in found.message


def test_duplicate_key_in_nested_mapping() -> None:
    found = failure("states:\n  - name: A\n    name: B\n")
    assert where(found) == ("PS002", 3, 5)


def test_duplicate_key_in_flow_mapping() -> None:
    found = failure("a: {x: 1, x: 2}\n")
    assert where(found) == ("PS002", 1, 11)


def test_quoted_and_plain_spellings_of_a_key_are_duplicates() -> None:
    found = failure("name: a\n'name': b\n")
    assert where(found) == ("PS002", 2, 1)


def test_merge_keys_are_refused_clearly() -> None:
    found = failure("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    assert where(found) == ("PS001", 3, 3)
    assert "merge keys" in found.message


def test_complex_keys_are_refused() -> None:
    found = failure("? [a, b]\n: 1\n")
    assert where(found) == ("PS001", 1, 3)
    assert "complex keys are not supported" in found.message


# -- syntax ------------------------------------------------------------------------------------


def test_syntax_error_reports_pyyaml_position() -> None:
    found = failure("states:\n  - name: A\n   bad: [\n")
    assert where(found) == ("PS001", 3, 4)
    assert found.message.startswith("invalid YAML: ")


def test_unclosed_flow_sequence_is_a_syntax_error() -> None:
    found = failure("states: [\n")
    assert where(found) == ("PS001", 2, 1)


def test_tab_indentation_is_a_syntax_error_with_a_hint() -> None:
    found = failure("a:\n\tb: 1\n")
    assert where(found) == ("PS001", 2, 1)
    assert "tabs" in found.hint


def test_multiple_documents_are_refused() -> None:
    found = failure("a: 1\n---\nb: 2\n")
    assert where(found) == ("PS001", 2, 1)
    assert "only one document" in found.message


def test_undefined_alias_is_a_syntax_error() -> None:
    found = failure("a: *nope\n")
    assert where(found) == ("PS001", 1, 4)
    assert "'nope'" in found.message


def test_duplicate_anchor_is_a_syntax_error() -> None:
    found = failure("a: &x 1\nb: &x 2\n")
    assert where(found) == ("PS001", 2, 4)
    assert "first on line 1" in found.message


def test_nul_character_is_rejected_with_its_position() -> None:
    found = failure("a: 1\nb: x\x00y\n")
    assert where(found) == ("PS001", 2, 5)


def test_unprintable_character_is_rejected_with_its_position() -> None:
    found = failure("a: 1\nb: x\x07\n")
    assert where(found) == ("PS001", 2, 5)


# -- empty and non-mapping documents ------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    assert where(failure(text)) == ("PS005", 1, 1)


@pytest.mark.parametrize("text", ["null\n", "~\n", "---\n"])
def test_null_document_is_empty(text: str) -> None:
    assert failure(text).code == "PS005"


def test_top_level_list() -> None:
    found = failure("# machine\n- a\n- b\n")
    assert where(found) == ("PS006", 2, 1)
    assert "a list, not a mapping" in found.message


def test_top_level_scalar() -> None:
    found = failure("hello\n")
    assert where(found) == ("PS006", 1, 1)
    assert "a string, not a mapping" in found.message


# -- encoding and files --------------------------------------------------------------------


def test_invalid_utf8() -> None:
    found = failure(b"a: 1\nstates: \xff\xfe\n")
    assert where(found) == ("PS007", 2, 9)
    assert "UTF-8" in found.message


def test_invalid_utf8_after_byte_order_mark_and_multibyte_text() -> None:
    found = failure("\ufeffa: 1\nb: é".encode() + b"\xc3\n")
    assert where(found) == ("PS007", 2, 5)


def test_missing_file(tmp_path: Path) -> None:
    found = file_failure(tmp_path / "nope.yaml")
    assert (found.code, found.line, found.col) == ("PS007", 1, 1)
    assert str(tmp_path / "nope.yaml") in found.message
    assert "does not exist" in found.message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    found = file_failure(tmp_path)
    assert found.code == "PS007"
    assert "is a directory" in found.message


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("a: 1\n")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(builtins, "open", refuse)
    found = file_failure(path)
    assert found.code == "PS007"
    assert str(path) in found.message and "permission denied" in found.message


def test_path_with_nul_byte_is_unreadable() -> None:
    with pytest.raises(CompileError) as caught:
        load_file("bad\x00name.yaml")
    assert caught.value.diagnostics[0].code == "PS007"


def test_display_name_replaces_the_path(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("a: 1\na: 2\n")
    with pytest.raises(CompileError) as caught:
        load_file(path, display_name="shown.yaml")
    assert caught.value.diagnostics[0].file == "shown.yaml"
    assert caught.value.diagnostics[0].format().startswith("shown.yaml:2:1: error[PS002]")


def test_load_file_reads_and_hashes_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(b"states: []\n")
    document = load_file(path)
    assert document.file == str(path)
    assert document.data == {"states": []}
    assert document.source_hash == hashlib.sha256(b"states: []\n").hexdigest()


def test_source_hash_of_text_is_sha256_of_its_utf8() -> None:
    assert load_text("a: é\n").source_hash == hashlib.sha256("a: é\n".encode()).hexdigest()


# -- size, nesting and aliases ----------------------------------------------------------------


def calls_made(action: Callable[[], object]) -> int:
    """How many Python and C function calls `action` makes: a measure of work that, unlike
    a clock, does not depend on how busy the machine is."""
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count


def test_ten_megabyte_file_is_rejected_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * (10 * 1024 * 1024) + b"\n")

    def refuse_to_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file over the size limit must not be opened")

    monkeypatch.setattr(load_module, "open", refuse_to_open, raising=False)
    found = file_failure(path)
    assert (found.code, found.line, found.col) == ("PS003", 1, 1)
    assert str(10 * 1024 * 1024 + 4) in found.message
    assert str(MAX_BYTES) in found.message


def test_oversized_text_is_rejected() -> None:
    found = failure("#" * (MAX_BYTES + 1))
    assert found.code == "PS003"
    assert str(MAX_BYTES + 1) in found.message


def test_billion_laughs_is_rejected_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join(f"*a{level - 1}" for _ in range(9))
        lines.append(f"a{level}: &a{level} [{refs}]")
    text = "\n".join(lines) + "\n"
    # Expanded, the document would hold 9**10 strings; refusing it takes a few thousand calls.
    assert calls_made(lambda: failure(text)) < 200_000
    found = failure(text)
    assert found.code == "PS004"
    assert "expands to more than" in found.message


def test_too_many_aliases_are_rejected() -> None:
    uses = ", ".join(["*x"] * (MAX_ALIASES + 1))
    found = failure(f"x: &x 1\nitems: [{uses}]\n")
    assert where(found) == ("PS004", 2, 9 + 4 * MAX_ALIASES)
    assert f"more than {MAX_ALIASES} aliases" in found.message


def test_aliases_up_to_the_limit_are_accepted() -> None:
    uses = ", ".join(["*x"] * MAX_ALIASES)
    assert load_text(f"x: &x 1\nitems: [{uses}]\n").data["items"] == [1] * MAX_ALIASES


def test_deep_nesting_is_rejected_without_recursion_error() -> None:
    text = "a: " + "[" * 10_000 + "]" * 10_000 + "\n"
    # The scan stops at the depth limit instead of parsing all 10,000 levels.
    assert calls_made(lambda: failure(text)) < 200_000
    found = failure(text)
    # The root mapping is the first level, so bracket number MAX_DEPTH is one too many.
    assert where(found) == ("PS004", 1, 3 + MAX_DEPTH)


def test_deep_block_nesting_is_rejected() -> None:
    text = "".join(" " * level + f"k{level}:\n" for level in range(200))
    assert where(failure(text)) == ("PS004", MAX_DEPTH, MAX_DEPTH)


def test_nesting_at_the_depth_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 2  # the root mapping and the innermost scalar are levels too
    document = load_text("a: " + "[" * depth + "1" + "]" * depth + "\n")
    value: Any = document.data["a"]
    for _ in range(depth):
        value = value[0]
    assert value == 1


def test_aliases_that_nest_past_the_depth_limit_are_rejected() -> None:
    lines = []
    for index in range(4):
        inner = f"*a{index - 1}" if index else "0"
        lines.append(f"a{index}: &a{index} " + "[" * 30 + inner + "]" * 30)
    found = failure("\n".join(lines) + "\n")
    assert found.code == "PS004"
    assert f"deeper than {MAX_DEPTH} levels" in found.message


def test_self_referencing_anchor_is_rejected() -> None:
    found = failure("a: &a [1, *a]\n")
    assert where(found) == ("PS004", 1, 4)
    assert "contains it" in found.message


def test_too_many_nodes_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_module, "MAX_NODES", 50)
    found = failure("items: [" + ", ".join(["x"] * 60) + "]\n")
    # The mapping, its key and the list are three nodes, so the 48th item is the 51st node.
    assert where(found) == ("PS004", 1, 9 + 3 * 47)
    assert "more than 50 nodes" in found.message


def test_aliases_expanding_past_the_node_limit_are_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(load_module, "MAX_NODES", 1000)
    anchored = "[" + ", ".join(["x"] * 100) + "]"
    found = failure(f"a: &a {anchored}\nb: [" + ", ".join(["*a"] * 20) + "]\n")
    assert where(found) == ("PS004", 2, 4)
    assert "expands to more than 1000 nodes" in found.message


# -- load_data ------------------------------------------------------------------------------


def test_load_data_copies_nested_containers() -> None:
    original = {"states": [{"name": "A"}], "pair": ("x", "y")}
    document = load_data(original)
    document.data["states"].append({})
    document.data["states"][0]["name"] = "B"
    assert original == {"states": [{"name": "A"}], "pair": ("x", "y")}
    assert document.data["pair"] == ["x", "y"]


def test_load_data_has_no_positions() -> None:
    document = load_data({"states": [{"name": "A"}]}, "<config>")
    assert document.file == "<config>"
    assert document.source_hash == ""
    assert document.position(("states", 0, "name")) == Position(1, 1)
    assert document.key_position(("states",)) == Position(1, 1)


def test_load_data_keeps_other_values_for_later_stages() -> None:
    marker = object()
    assert load_data({"x": marker}).data["x"] is marker


def test_load_data_refuses_non_mappings() -> None:
    with pytest.raises(CompileError) as caught:
        load_data([1, 2])  # type: ignore[arg-type]
    assert caught.value.diagnostics[0].code == "PS006"
    assert "a list, not a mapping" in caught.value.diagnostics[0].message


def test_load_data_refuses_data_that_contains_itself() -> None:
    data: dict[str, Any] = {"states": []}
    data["states"].append(data)
    with pytest.raises(CompileError) as caught:
        load_data(data)
    assert caught.value.diagnostics[0].code == "PS004"


def test_load_data_refuses_deep_nesting_without_recursion_error() -> None:
    data: dict[str, Any] = {}
    inner = data
    for _ in range(10_000):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(CompileError) as caught:
        load_data(data)
    assert caught.value.diagnostics[0].code == "PS004"


# -- properties -----------------------------------------------------------------------------

_YAML_ALPHABET = st.sampled_from([*"ab1 \n\t:-,[]{}&*!|>'\"#%@?<=~.\\", "\u00e9", "\ufeff"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_random_input_never_raises_anything_but_compile_error(text: str | bytes) -> None:
    with contextlib.suppress(CompileError):
        load_text(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(_YAML_ALPHABET, max_size=80).map("".join))
def test_random_yaml_like_text_never_raises_anything_but_compile_error(text: str) -> None:
    with contextlib.suppress(CompileError):
        load_text(text)


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=5), _JSON_VALUES, max_size=4))
def test_json_text_loads_to_the_same_data(data: dict[str, Any]) -> None:
    for indent in (None, 2, "\t"):
        loaded = load_text(json.dumps(data, indent=indent)).data
        # Comparing JSON renderings tells 1 from 1.0 and from True.
        assert json.dumps(loaded, sort_keys=True) == json.dumps(data, sort_keys=True)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=5), children, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_random_yaml_documents_never_crash_the_compiler(value: object) -> None:
    from pystator.generator.pipeline import compile_document

    text = yaml.safe_dump(value)
    with contextlib.suppress(CompileError):
        compile_document(load_text(text))
