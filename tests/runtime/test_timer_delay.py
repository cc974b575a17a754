"""When timers are due: as the machine declares, but never sooner than the minimum delay."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pystator.runtime.timers import MIN_DELAY_MS, due_at

ARMED = st.floats(min_value=0, max_value=4e9, allow_nan=False)


@given(ARMED, st.integers(min_value=0, max_value=MIN_DELAY_MS - 1))
def test_a_delay_below_the_minimum_is_due_after_the_minimum(armed_at: float, delay: int) -> None:
    assert due_at(armed_at, delay) == armed_at + MIN_DELAY_MS / 1000


@given(ARMED, st.integers(min_value=MIN_DELAY_MS, max_value=366 * 86_400_000))
def test_a_delay_at_or_above_the_minimum_is_due_as_declared(armed_at: float, delay: int) -> None:
    assert due_at(armed_at, delay) == armed_at + delay / 1000
