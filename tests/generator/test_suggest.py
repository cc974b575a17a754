"""Did-you-mean: difflib's own answer among few names, the intended name for ordinary typos
among many, and a bounded number of fuzzy comparisons however many names are asked."""

from __future__ import annotations

import difflib
import random
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystator.generator.suggest import (
    FULL_COMPARISON,
    RUN_BUDGET,
    SHORTLIST,
    Budget,
    Suggester,
    did_you_mean,
)

NAMES = st.text(alphabet=string.ascii_letters + "_.-" + string.digits, min_size=1, max_size=20)


def full_comparison(name: str, pool: list[str]) -> str | None:
    """The rule for small sets: difflib's closest, else a match ignoring case."""
    ordered = sorted(set(pool))
    matches = difflib.get_close_matches(name, ordered, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    return {candidate.lower(): candidate for candidate in ordered}.get(name.lower())


@given(NAMES, st.lists(NAMES, max_size=FULL_COMPARISON))
def test_small_sets_get_the_answer_of_a_full_comparison(name: str, pool: list[str]) -> None:
    assert Suggester(pool).closest(name) == full_comparison(name, pool)


def _typos(word: str) -> list[str]:
    middle = len(word) // 2
    return [
        word[:middle] + word[middle + 1 :],  # a letter dropped
        word[:middle] + word[middle] + word[middle:],  # a letter doubled
        word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :],  # swapped
        word[:middle] + "x" + word[middle + 1 :],  # a letter replaced
        word.upper(),  # case
    ]


@pytest.fixture(scope="module")
def many_names() -> list[str]:
    generator = random.Random(7)
    return sorted(
        {
            "".join(
                generator.choice(string.ascii_lowercase) for _ in range(generator.randint(6, 14))
            )
            for _ in range(20_000)
        }
    )


def test_ordinary_typos_among_many_names_suggest_the_intended_name(
    many_names: list[str],
) -> None:
    suggester = Suggester(many_names)
    for word in random.Random(3).sample(many_names, 40):
        for typo in _typos(word):
            if typo not in many_names:
                assert suggester.closest(typo) == word, typo


def test_typos_of_numbered_names_suggest_the_intended_name() -> None:
    names = [f"state_{index:06d}" for index in range(20_000)]
    suggester = Suggester(names)
    assert suggester.closest("stat_012345") == "state_012345"
    assert suggester.closest("state_0l2345") == "state_012345"
    assert suggester.closest("STATE_019999") == "state_019999"


def test_a_name_compares_with_at_most_a_shortlist_of_a_large_set(
    many_names: list[str],
) -> None:
    budget = Budget()
    Suggester(many_names, budget).closest("qwertyuiop")
    longest = max(len(name) for name in many_names)
    assert 0 < RUN_BUDGET - budget.remaining <= SHORTLIST * len("qwertyuiop") * longest


def test_a_spent_budget_still_suggests_names_one_typo_away() -> None:
    suggester = Suggester(["go", "shipped", "pending", "cancelled"], Budget(remaining=0))
    assert suggester.closest("og") == "go"
    assert suggester.closest("shiped") == "shipped"
    assert suggester.closest("PENDING") == "pending"
    assert suggester.closest("cat") is None


def test_a_spent_budget_prefers_a_name_one_typo_away_to_one_two_typos_away() -> None:
    suggester = Suggester(["block111", "block1111"], Budget(remaining=0))
    assert suggester.closest("blck1111") == "block1111"


def test_a_spent_budget_still_suggests_names_sharing_most_letter_triples() -> None:
    suggester = Suggester(["pending_payment", "shipped"], Budget(remaining=0))
    assert suggester.closest("pendng_paymnt") == "pending_payment"


def test_the_budget_is_shared_by_the_suggesters_of_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[list[str]] = []
    original = difflib.get_close_matches

    def counting(word: str, possibilities: list[str], n: int, cutoff: float) -> list[str]:
        compared.append(list(possibilities))
        return original(word, possibilities, n, cutoff)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    budget = Budget(remaining=len("shiped") * len("shipped"))
    assert Suggester(["shipped"], budget).closest("shiped") == "shipped"
    assert Suggester(["shipped"], budget).closest("shiped") == "shipped"
    assert compared == [["shipped"], []]


def test_names_too_long_to_compare_get_only_matches_that_ignore_case() -> None:
    long = "a" * 100
    assert Suggester([long + "b"]).closest(long + "c") is None
    assert Suggester([long]).closest(long.upper()) == long


def test_did_you_mean_is_a_sentence_or_nothing() -> None:
    assert did_you_mean("shiped", ["shipped", "pending"]) == "Did you mean 'shipped'?"
    assert did_you_mean("zzz", ["shipped", "pending"]) == ""
