"""The loader: positions for every node, and a diagnostic for every kind of bad input."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.generator.load import MAX_BYTES, Position, load_data, load_file, load_text


def failure(text: str | bytes) -> Diagnostic:
    with pytest.raises(CompileError) as caught:
        load_text(text, "m.yaml")
    assert len(caught.value.diagnostics) == 1
    return caught.value.diagnostics[0]


def test_positions_of_nested_values_and_keys() -> None:
    document = load_text("meta:\n  name: x\nstates:\n  - name: A\n    type: initial\n")
    assert document.position(()) == Position(1, 1)
    assert document.position(("states", 0)) == Position(4, 5)
    assert document.position(("states", 0, "type")) == Position(5, 11)
    assert document.key_position(("states", 0, "type")) == Position(5, 5)
    assert document.key_position(("states",)) == Position(3, 1)


def test_unknown_path_falls_back_to_nearest_ancestor() -> None:
    document = load_text("states:\n  - name: A\n")
    assert document.position(("states", 0, "missing", 3)) == Position(2, 5)


def test_json_input_has_positions() -> None:
    document = load_text('{\n  "states": [\n    {"name": "A"}\n  ]\n}\n')
    assert document.data == {"states": [{"name": "A"}]}
    assert document.position(("states", 0, "name")) == Position(3, 14)


def test_on_off_yes_no_stay_strings() -> None:
    document = load_text("a: on\nb: off\nc: yes\nd: no\ne: true\nf: False\ng: Y\n")
    assert document.data == {
        "a": "on",
        "b": "off",
        "c": "yes",
        "d": "no",
        "e": True,
        "f": False,
        "g": "Y",
    }


def test_numbers_null_and_dates() -> None:
    document = load_text("a: 5\nb: 1.5\nc: ~\nd: 2024-01-01\ne: '5'\n")
    assert document.data == {"a": 5, "b": 1.5, "c": None, "d": "2024-01-01", "e": "5"}


def test_duplicate_key_reports_second_occurrence() -> None:
    found = failure("states: []\nmeta: {}\nstates: []\n")
    assert (found.code, found.line, found.col) == ("PS002", 3, 1)
    assert "first on line 1" in found.message


def test_duplicate_key_in_nested_mapping() -> None:
    found = failure("states:\n  - name: A\n    name: B\n")
    assert (found.code, found.line) == ("PS002", 3)


def test_syntax_error_has_position() -> None:
    found = failure("states:\n  - name: A\n   bad: [\n")
    assert found.code == "PS001"
    assert found.line >= 3


def test_multiple_documents_are_refused() -> None:
    found = failure("a: 1\n---\nb: 2\n")
    assert found.code == "PS001"
    assert "more than one YAML document" in found.message


def test_empty_file() -> None:
    assert failure("").code == "PS005"
    assert failure("# only a comment\n").code == "PS005"


def test_top_level_list() -> None:
    found = failure("- a\n- b\n")
    assert found.code == "PS006"
    assert "a list, not a mapping" in found.message


def test_invalid_utf8() -> None:
    assert failure(b"states: \xff\xfe\n").code == "PS007"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as caught:
        load_file(tmp_path / "nope.yaml")
    assert caught.value.diagnostics[0].code == "PS007"
    assert "does not exist" in caught.value.diagnostics[0].message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as caught:
        load_file(tmp_path)
    assert caught.value.diagnostics[0].code == "PS007"


def test_ten_megabyte_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * (10 * 1024 * 1024) + b"\n")
    started = time.perf_counter()
    with pytest.raises(CompileError) as caught:
        load_file(path)
    assert caught.value.diagnostics[0].code == "PS003"
    assert str(MAX_BYTES) in caught.value.diagnostics[0].message
    assert time.perf_counter() - started < 5


def test_billion_laughs_is_rejected_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join(f"*a{level - 1}" for _ in range(9))
        lines.append(f"a{level}: &a{level} [{refs}]")
    started = time.perf_counter()
    found = failure("\n".join(lines) + "\n")
    assert found.code == "PS004"
    assert time.perf_counter() - started < 5


def test_too_many_aliases_are_rejected() -> None:
    text = "x: &x 1\nitems: [" + ", ".join(["*x"] * 150) + "]\n"
    assert failure(text).code == "PS004"


def test_deep_nesting_is_rejected_without_recursion_error() -> None:
    found = failure("a: " + "[" * 10_000 + "]" * 10_000 + "\n")
    assert found.code in ("PS004", "PS001")


def test_merge_keys_are_refused_clearly() -> None:
    found = failure("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    assert found.code == "PS001"
    assert "merge keys" in found.message


def test_complex_keys_are_refused() -> None:
    assert failure("? [a, b]\n: 1\n").code == "PS001"


def test_source_hash_is_sha256_of_the_bytes() -> None:
    import hashlib

    text = b"states: []\n"
    assert load_text(text).source_hash == hashlib.sha256(text).hexdigest()


def test_load_data_copies_and_refuses_non_mappings() -> None:
    original = {"states": [{"name": "A"}]}
    document = load_data(original)
    document.data["states"].append({})
    assert original == {"states": [{"name": "A"}]}
    with pytest.raises(CompileError) as caught:
        load_data([1, 2])  # type: ignore[arg-type]
    assert caught.value.diagnostics[0].code == "PS006"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_random_input_never_raises_anything_but_compile_error(text: str | bytes) -> None:
    with contextlib.suppress(CompileError):
        load_text(text)


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
    import yaml

    from pystator.generator.pipeline import compile_document

    text = yaml.safe_dump(value)
    with contextlib.suppress(CompileError):
        compile_document(load_text(text))
