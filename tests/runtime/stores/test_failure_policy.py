"""The rule behind `store_call`: which failed operations run once more, and what callers
see, for each kind of operation and each kind of driver error."""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import Callable

import pytest

from pystator import StaleVersionError, StoreError, StoreUnavailableError
from pystator.runtime.stores._failures import Repeat, Unsent, store_call
from pystator.runtime.stores.base import EntityRecord, Write


def lost() -> Exception:
    import psycopg

    return psycopg.OperationalError("server closed the connection unexpectedly")


def shutdown() -> Exception:
    import psycopg

    return psycopg.errors.AdminShutdown("terminating connection due to administrator command")


def pool_timeout() -> Exception:
    import psycopg_pool

    return psycopg_pool.PoolTimeout("couldn't get a connection after 30.00 sec")


def redis_lost() -> Exception:
    from redis import exceptions

    return exceptions.ConnectionError("Connection closed by server.")


def undefined_table() -> Exception:
    import psycopg

    return psycopg.errors.UndefinedTable('relation "x.entity_states" does not exist')


RECORD = EntityRecord("r", "A", machine_name="m")


class Flaky:
    """Each call raises the next of `failures`, then answers "done"."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def attempt(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "done"

    @store_call(Repeat.ALWAYS)
    def read(self) -> str:
        return self.attempt()

    @store_call(Repeat.IF_UNSENT)
    def write(self) -> str:
        return self.attempt()

    @store_call(Repeat.IF_PROTECTED, "save")
    def _save(self, write: Write) -> str:
        return self.attempt()


Failure = Callable[[], Exception]


@pytest.mark.parametrize("failure", [lost, shutdown, redis_lost])
def test_a_read_that_lost_its_connection_runs_once_more(failure: Failure) -> None:
    store = Flaky(failure())
    assert store.read() == "done" and store.calls == 2


def test_a_read_that_loses_its_connection_twice_is_unavailable() -> None:
    store = Flaky(lost(), lost())
    with pytest.raises(StoreUnavailableError) as caught:
        store.read()
    assert store.calls == 2 and caught.value.maybe_committed is False


def test_a_write_that_never_got_a_connection_runs_once_more() -> None:
    store = Flaky(Unsent(lost()))
    assert store.write() == "done" and store.calls == 2


def test_a_sent_write_that_lost_its_connection_is_not_sent_again() -> None:
    store = Flaky(lost())
    with pytest.raises(StoreUnavailableError) as caught:
        store.write()
    assert store.calls == 1 and caught.value.maybe_committed is True


def test_a_versioned_write_is_sent_again_only_with_an_idempotency_record() -> None:
    unprotected = Flaky(lost())
    with pytest.raises(StoreUnavailableError):
        unprotected._save(Write(RECORD, 1))
    protected = Flaky(lost())
    assert protected._save(Write(RECORD, 1, outcome=("key", {}))) == "done"
    assert (unprotected.calls, protected.calls) == (1, 2)


def test_a_primitive_is_reported_under_the_operation_it_serves() -> None:
    store = Flaky(lost())
    with pytest.raises(StoreUnavailableError) as caught:
        store._save(Write(RECORD, 1))
    assert caught.value.operation == "save" and "during save" in str(caught.value)
    assert store.calls == 1


def test_a_pool_that_waited_its_timeout_is_not_asked_again() -> None:
    store = Flaky(Unsent(pool_timeout()))
    with pytest.raises(StoreUnavailableError) as caught:
        store.read()
    assert store.calls == 1 and caught.value.maybe_committed is False


def test_a_failing_statement_is_a_store_error_and_not_repeated() -> None:
    store = Flaky(undefined_table())
    with pytest.raises(StoreError) as caught:
        store.read()
    assert not isinstance(caught.value, StoreUnavailableError)
    assert store.calls == 1 and "does not exist" not in str(caught.value)
    assert caught.value.operation == "read"


def test_errors_that_are_not_the_drivers_pass_through_unchanged() -> None:
    stale = StaleVersionError("changed", "e-1", 1)
    store = Flaky(stale)
    with pytest.raises(StaleVersionError) as caught:
        store._save(Write(RECORD, 1, outcome=("key", {})))
    assert caught.value is stale and store.calls == 1


def unsent_lost() -> Exception:
    return Unsent(lost())


@pytest.mark.parametrize(
    "failures", [(), (lost,), (lost, lost), (undefined_table,), (unsent_lost,), (pool_timeout,)]
)
def test_a_failed_operation_leaves_no_cycle_keeping_the_store_alive(
    failures: tuple[Failure, ...],
) -> None:
    store = Flaky(*(failure() for failure in failures), StaleVersionError("changed", "e-1", 1))
    alive = weakref.ref(store)
    gc.disable()
    try:
        with contextlib.suppress(StoreError, StaleVersionError):
            store.read()
        del store
        assert alive() is None
    finally:
        gc.enable()
