"""Formatting: black over generated code, with runs of same-shaped members and long
`Literal` aliases kept from black, gives exactly what black alone gives."""

from __future__ import annotations

import black

from pystator.generator.emit import BLACK_MODE
from pystator.generator.formatting import format_code


def _black(text: str) -> str:
    return black.format_str(text, mode=BLACK_MODE)


def _enum(names: list[str]) -> str:
    members = "\n".join(f'    {name.upper()} = "{name}"' for name in names)
    return f'class State(StrEnum):\n    """The states."""\n\n{members}\n'


def _properties(names: list[str], value: str = '"{}"') -> str:
    blocks = [
        "    @property\n"
        f"    def is_{name}(self) -> bool:\n"
        f'        """True while the entity is in {name}."""\n'
        f"        return self._in({value.format(name)})\n"
        for name in names
    ]
    return "class Session(Base):\n    __slots__ = ()\n\n" + "\n".join(blocks)


def test_runs_of_plain_members_come_out_as_black_writes_them() -> None:
    names = [f"s{index}" for index in range(30)]
    text = "\n\n".join([_enum(names), _properties(names), "x = 1\n"])
    assert format_code(text, _black) == _black(text)


def test_members_black_would_change_come_out_as_black_writes_them() -> None:
    long = "a" * 90
    names = [f"s{index}" for index in range(12)] + [long] + [f"t{index}" for index in range(12)]
    enum = _enum(names).replace('T3 = "t3"', "T3 = 't3'")
    properties = _properties(names, value="{!r}")
    text = "\n\n".join([enum, properties, "x = 1\n"])
    assert format_code(text, _black) == _black(text)


def test_members_without_blank_lines_between_methods_get_black_blank_lines() -> None:
    text = _properties([f"s{index}" for index in range(8)]).replace("\n\n    @", "\n    @")
    assert format_code(text, _black) == _black(text)


def test_a_long_literal_alias_is_laid_out_as_black_does() -> None:
    items = ", ".join(f'"state_{index}"' for index in range(40))
    few = ", ".join(f'"s{index}"' for index in range(12))
    text = f"Name: TypeAlias = Literal[{items}]\nFew: TypeAlias = Literal[{few}]\n"
    assert format_code(text, _black) == _black(text)


def test_black_reads_a_placeholder_instead_of_the_members_of_a_run() -> None:
    names = [f"s{index}" for index in range(30)]
    text = "\n\n".join([_enum(names), _properties(names)])
    given: list[str] = []

    def recording(source: str) -> str:
        given.append(source)
        return _black(source)

    format_code(text, recording)
    assert "S17 =" not in given[-1]
    assert "is_s17" not in given[-1]


def test_text_that_looks_like_a_placeholder_is_left_as_it_is() -> None:
    names = [f"s{index}" for index in range(8)]
    doc = '"""Docs.\n\n_pystator_kept_0 = None\n    _pystator_kept_1 = None\n"""\n\n'
    text = doc + _enum(names) + "\n\n" + _properties(names)
    assert format_code(text, _black) == _black(text)
