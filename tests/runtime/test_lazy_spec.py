"""lazy_tuple and lazy_mapping: parts of a generated SPEC built when first read."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from pystator.runtime.spec import lazy_mapping, lazy_tuple


def _counted(value: Any) -> tuple[list[int], Callable[[], Any]]:
    calls: list[int] = []

    def build() -> Any:
        calls.append(1)
        return value

    return calls, build


def test_a_lazy_tuple_is_built_once_on_first_read() -> None:
    calls, build = _counted((1, 2, 3))
    items = lazy_tuple(build)
    assert calls == []
    assert items[0] == 1 and items[-1] == 3 and items[1:] == (2, 3)
    assert list(items) == [1, 2, 3] and len(items) == 3 and 2 in items
    assert calls == [1]


def test_a_lazy_tuple_equals_the_tuple_it_holds() -> None:
    assert lazy_tuple(lambda: (1, 2)) == (1, 2)
    # The tuple on the left: a spec from the compiler compared with a generated one.
    assert (1, 2) == lazy_tuple(lambda: (1, 2))  # noqa: SIM300
    assert lazy_tuple(lambda: (1, 2)) == lazy_tuple(lambda: (1, 2))
    assert lazy_tuple(lambda: (1, 2)) != (2, 1)
    assert repr(lazy_tuple(lambda: (1,))) == "(1,)"


def test_a_lazy_mapping_is_built_once_on_first_read() -> None:
    calls, build = _counted(MappingProxyType({"a": 1}))
    table = lazy_mapping(build)
    assert calls == []
    assert table["a"] == 1 and table.get("b") is None and dict(table) == {"a": 1}
    assert len(table) == 1 and list(table.items()) == [("a", 1)]
    assert calls == [1]


def test_a_lazy_mapping_equals_the_mapping_it_holds() -> None:
    proxy = MappingProxyType({"a": 1})
    assert lazy_mapping(lambda: proxy) == proxy
    assert proxy == lazy_mapping(lambda: proxy)
    assert lazy_mapping(lambda: proxy) != {"a": 2}
