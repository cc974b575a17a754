"""Constant names: chosen from what a constant holds, distinct, and the same in any order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pystator.generator.names import constant_words, is_identifier
from pystator.generator.symbols import Namer

WORDS = st.sampled_from(["_GO", "_GO_FROM_A", "_GO_TO_B", "_STOP", "_SPEC"])
REQUESTS = st.dictionaries(
    st.text(min_size=1, max_size=8), st.lists(WORDS, min_size=1, max_size=3), max_size=12
)


def _resolve(requests: dict[str, list[str]], order: list[str]) -> dict[str, str]:
    namer = Namer(reserved=frozenset({"_SPEC"}))
    for key in order:
        namer.request(key, requests[key])
    return namer.resolve()


@given(REQUESTS)
def test_every_constant_gets_its_own_name_and_none_is_reserved(
    requests: dict[str, list[str]],
) -> None:
    chosen = _resolve(requests, list(requests))
    assert len(set(chosen.values())) == len(chosen)
    assert "_SPEC" not in chosen.values()


@given(REQUESTS, st.randoms())
def test_names_do_not_depend_on_the_order_of_the_requests(
    requests: dict[str, list[str]], random: object
) -> None:
    order = list(requests)
    shuffled = order[:]
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _resolve(requests, order) == _resolve(requests, shuffled)


@given(REQUESTS)
def test_a_constant_without_rivals_keeps_its_plainest_name(
    requests: dict[str, list[str]],
) -> None:
    chosen = _resolve(requests, list(requests))
    firsts = [options[0] for options in requests.values()]
    for key, options in requests.items():
        if firsts.count(options[0]) == 1 and options[0] != "_SPEC":
            assert chosen[key] == options[0]


@given(st.text(max_size=80))
def test_words_of_any_text_make_an_identifier(text: str) -> None:
    assert is_identifier("_" + constant_words(text))


def test_operators_are_read_as_words() -> None:
    assert constant_words("filled_qty + fill_qty >= order_qty") == (
        "FILLED_QTY_PLUS_FILL_QTY_GE_ORDER_QTY"
    )
    assert constant_words("active.scanning") == "ACTIVE_SCANNING"
