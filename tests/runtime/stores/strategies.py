"""Hypothesis strategies for the store tests: hostile ids, keys and JSON-like values.

Small alphabets of separators and escapes make different (machine, entity, key) triples
likely to collide under any encoding that is not structural.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

#: Characters that break naive key encodings, URLs or database text columns.
TRICKY = st.sampled_from(
    [
        "a",
        "1",
        "0",
        ":",
        "\x1f",
        "\x00",
        "\\",
        "/",
        " ",
        "%",
        "?",
        "#",
        ".",
        "*",
        "[",
        "{",
        "é",
        "\u2028",
        "\ud800",
        "😀",
    ]
)

#: Any character, lone surrogates and control characters included.
ANY_CHARACTER = st.characters(exclude_categories=())


def texts(max_size: int = 8) -> st.SearchStrategy[str]:
    return st.text(alphabet=st.one_of(TRICKY, ANY_CHARACTER), max_size=max_size)


def long_texts() -> st.SearchStrategy[str]:
    return st.integers(190, 210).map(lambda n: "x" * n)


#: Pieces that, glued together, make different triples spell the same text under any
#: encoding that joins the parts with a separator.
FRAGMENTS = st.sampled_from(["a", "b", "1", "2", ":", "\x1f", "1:", ":a", "a:"])

#: Strings meant as entity ids, machine names or keys: mostly short and hostile.
identifiers = st.one_of(st.lists(FRAGMENTS, max_size=3).map("".join), texts(), long_texts())

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    # Built when drawn: hypothesis prints its strategies, and Python refuses to print
    # integers of more than 4300 digits.
    st.tuples(st.sampled_from([63, 4298, 4299, 4300, 6000]), st.sampled_from([1, -1])).map(
        lambda drawn: drawn[1] * 10 ** drawn[0]
    ),
    st.floats(),  # NaN and the infinities included
    st.just(-0.0),
    texts(6),
)
_keys = st.one_of(texts(4), st.integers(), st.booleans(), st.none(), st.floats())


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


#: JSON-like Python values, and the many ways a value can fail to be JSON.
values = st.one_of(
    st.recursive(
        _scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(_keys, children, max_size=4),
            st.tuples(children, children),
        ),
        max_leaves=16,
    ),
    st.integers(95, 105).map(_nested),
)


def identical(left: Any, right: Any) -> bool:
    """Equal, of the same types all the way down, and with the same sign of zero."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(identical(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(identical, left, right))
    if isinstance(left, float):
        return left == right and math.copysign(1.0, left) == math.copysign(1.0, right)
    return bool(left == right)


@st.composite
def split_triples(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    """Triples cut from one string at different places: ('a', ':a', 'k') and ('a:', 'a',
    'k') read the same once joined with ':'."""
    text = draw(st.lists(FRAGMENTS, min_size=1, max_size=5).map("".join))
    cuts = draw(
        st.lists(
            st.tuples(st.integers(0, len(text)), st.integers(0, len(text))).map(sorted),
            min_size=2,
            max_size=6,
        )
    )
    return [(text[:i], text[i:j], text[j:]) for i, j in cuts]


#: Lists of (machine, entity, key) triples, adversarial or arbitrary.
triples = st.one_of(
    split_triples(),
    st.lists(st.tuples(identifiers, identifiers, identifiers), min_size=1, max_size=6),
)
