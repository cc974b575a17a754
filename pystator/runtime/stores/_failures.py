"""Failures: which driver exceptions mean a store is unreachable, when an operation may run
once more on a fresh connection, and the StoreError callers get instead of the driver's.

Drivers are recognised by their module and imported only once one of their errors exists.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any, ParamSpec, TypeVar

from pystator.runtime.drivers import run_sync
from pystator.runtime.errors import StoreError, StoreUnavailableError
from pystator.runtime.stores.base import Write

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger("pystator.stores")

_DRIVERS = ("psycopg", "psycopg_pool", "redis", "sqlite3")

#: SQLite's primary result codes for a file it could not lock or open (sqlite3.SQLITE_BUSY,
#: SQLITE_LOCKED, SQLITE_CANTOPEN): like a server out of reach, trying later may succeed.
_SQLITE_UNAVAILABLE = (5, 6, 14)

#: SQLSTATEs of a server that ended the session: the connection is gone, not the statement.
_SESSION_ENDED = ("57P01", "57P02", "57P03")


class Repeat(Enum):
    """When an operation that lost its connection may run again."""

    #: Reads, and writes whose repetition changes nothing (CREATE IF NOT EXISTS, SET NX).
    ALWAYS = "always"
    #: Writes that a repetition could apply twice: only if nothing reached the server.
    IF_UNSENT = "if_unsent"
    #: Versioned writes: also after an unknown outcome, when an idempotency record is
    #: written with them (see `_protected`).
    IF_PROTECTED = "if_protected"


class Unsent(Exception):
    """A driver error that left nothing applied: raised before the operation reached the
    server (no connection), or inside a transaction before its COMMIT was sent."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(type(error).__name__)
        self.error = error


def is_driver_error(exc: BaseException) -> bool:
    """True for exceptions of psycopg, psycopg_pool, redis and sqlite3."""
    return type(exc).__module__.split(".")[0] in _DRIVERS


def connection_problem(exc: BaseException) -> bool:
    """The driver says the server is unreachable, busy or dropped the connection."""
    module = type(exc).__module__.split(".")[0]
    if module in ("psycopg", "psycopg_pool"):
        import psycopg

        return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
    if module == "redis":
        from redis import exceptions

        return isinstance(
            exc, exceptions.ConnectionError | exceptions.TimeoutError | exceptions.ReadOnlyError
        )
    if module == "sqlite3":
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_UNAVAILABLE
    return False


def worth_retrying(exc: BaseException) -> bool:
    """A broken connection, which a fresh one may not have. Not a pool that already waited
    its whole timeout, nor a refused login, nor a statement the server cancelled."""
    module = type(exc).__module__.split(".")[0]
    if module == "psycopg_pool":
        return False
    if module == "psycopg":
        import psycopg

        if not isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return False
        sqlstate = getattr(exc, "sqlstate", None)
        # No SQLSTATE: the client saw the socket close ("server closed the connection
        # unexpectedly", "the connection is lost"); class 08: connection exceptions.
        return sqlstate is None or sqlstate.startswith("08") or sqlstate in _SESSION_ENDED
    if module == "redis":
        from redis import exceptions

        if isinstance(exc, exceptions.AuthenticationError | exceptions.AuthorizationError):
            return False
        return isinstance(exc, exceptions.ConnectionError | exceptions.TimeoutError)
    return False


def translate(
    exc: BaseException, owner: str, operation: str, *, maybe_committed: bool = False
) -> StoreError:
    """The StoreError for a driver's exception; the caller raises it `from exc`."""
    if type(exc).__module__ == "sqlite3":
        # SQLite runs in this process: a failed transaction was rolled back, not lost.
        maybe_committed = False
    if connection_problem(exc):
        message = f"{owner}: the database is unreachable or dropped the connection"
        if type(exc).__module__ == "sqlite3":
            message = (
                f"{owner}: the SQLite file could not be opened, or another connection held "
                f"its lock past the store's timeout, during {operation}"
            )
        if maybe_committed:
            message = (
                f"{owner}: the connection was lost during {operation}, so the write may have "
                "been applied; send the event again with the same idempotency key to apply "
                "it at most once"
            )
        return StoreUnavailableError(message, operation, maybe_committed=maybe_committed)
    # The driver's class names the failure; its text (SQL, URLs) stays in `__cause__`.
    return StoreError(
        f"{owner}: the database refused the operation ({type(exc).__name__})", operation
    )


def take(pool: Any) -> Any:
    """A connection of a psycopg pool, to give back with `pool.putconn`; failing to get one
    raises Unsent: nothing was sent."""
    try:
        return pool.getconn()
    except Exception as exc:
        if not is_driver_error(exc):
            raise
        raise Unsent(exc) from exc


@contextmanager
def transaction(connection: Any) -> Iterator[Any]:
    """A psycopg `connection` in one transaction, committed when the block ends.

    A driver error before COMMIT was sent is raised as Unsent: the server applied nothing,
    so the work may run again. One during COMMIT leaves as it is: the outcome is unknown.
    """
    sent = False
    try:
        with connection.transaction():
            yield connection
            # Leaving the block sends COMMIT; until then the server has committed nothing,
            # whatever happened to the connection.
            sent = True
    except Exception as exc:
        if sent or not is_driver_error(exc):
            raise
        raise Unsent(exc) from exc


def store_call(
    repeat: Repeat, operation: str | None = None
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorate a store method: driver errors become StoreError, and an operation that lost
    its connection runs once more when `repeat` says that is safe.

    `operation` names it in errors (default: the method's name), so a primitive such as
    `_save` reports the public operation it serves.
    """

    def decorate(method: Callable[P, T]) -> Callable[P, T]:
        name = operation or method.__name__

        @functools.wraps(method)
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            owner = type(args[0]).__name__ if args else method.__qualname__
            return guarded(
                lambda: method(*args, **kwargs),
                repeat,
                owner,
                name,
                protected=lambda: _protected(args),
            )

        return run

    return decorate


def guarded(
    call: Callable[[], T],
    repeat: Repeat,
    owner: str,
    operation: str,
    *,
    protected: Callable[[], bool] = lambda: False,
) -> T:
    """`call()` under the failure policy: driver errors leave as StoreError naming `owner`
    and `operation`, and a call that lost its connection runs once more when `repeat` (and,
    for IF_PROTECTED, `protected()`) says that is safe."""

    async def blocking() -> T:
        return call()

    # The policy is written once, for awaited calls; a blocking call never suspends it.
    return run_sync(aguarded(blocking, repeat, owner, operation, protected=protected))


async def aguarded(
    call: Callable[[], Awaitable[T]],
    repeat: Repeat,
    owner: str,
    operation: str,
    *,
    protected: Callable[[], bool] = lambda: False,
) -> T:
    """`guarded` for an operation awaited on the event loop (a store's native async I/O)."""
    # No local names an exception, and none is raised from a helper's frame: a frame of its
    # own traceback holding it would keep the store, and its pool, alive until the cycle
    # collector runs.
    for attempt in (1, 2):
        try:
            return await call()
        except Exception as exc:
            if not is_driver_error(_driver_error(exc)):
                raise
            if attempt == 2 or not _repeatable(exc, repeat, protected):
                raise _translated(exc, owner, operation, repeat) from _driver_error(exc)
            _trying_again(owner, operation, exc)
    raise AssertionError("unreachable: the second attempt returns or raises")


def _trying_again(owner: str, operation: str, exc: Exception) -> None:
    lost = type(_driver_error(exc)).__name__
    logger.warning(
        "%s.%s lost its database connection (%s); trying once more", owner, operation, lost
    )


def _driver_error(exc: BaseException) -> BaseException:
    return exc.error if isinstance(exc, Unsent) else exc


def _repeatable(exc: BaseException, repeat: Repeat, protected: Callable[[], bool]) -> bool:
    if not worth_retrying(_driver_error(exc)):
        return False
    if repeat is Repeat.ALWAYS or isinstance(exc, Unsent):
        return True
    return repeat is Repeat.IF_PROTECTED and protected()


def _translated(exc: BaseException, owner: str, operation: str, repeat: Repeat) -> StoreError:
    # A write that reached the server may have been applied before the connection broke.
    written = repeat is not Repeat.ALWAYS and not isinstance(exc, Unsent)
    return translate(_driver_error(exc), owner, operation, maybe_committed=written)


def _protected(args: tuple[Any, ...]) -> bool:
    """A versioned write sent again after an unknown outcome is safe when it carries an
    idempotency record. If the first attempt committed, the second finds the version moved
    and raises StaleVersionError; the Orchestrator then decides again from a fresh load and
    its next write collides with the stored key (DuplicateEventError), so it replays the
    first outcome instead of applying the event twice. Without a key that fresh decision
    would apply the event a second time, so such writes are not sent again."""
    return any(isinstance(arg, Write) and arg.outcome is not None for arg in args)


def raising_store_errors(method: Callable[P, T]) -> Callable[P, T]:
    """Decorate an Orchestrator entry point: a driver error from a store that raises its
    own (a custom store on psycopg or redis) leaves it as StoreError."""

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            if not is_driver_error(_driver_error(exc)):
                raise
            raise translate(_driver_error(exc), "Orchestrator", method.__name__) from exc

    return run


def araising_store_errors(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """`raising_store_errors` for coroutine functions."""

    @functools.wraps(method)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except Exception as exc:
            if not is_driver_error(_driver_error(exc)):
                raise
            raise translate(_driver_error(exc), "Orchestrator", method.__name__) from exc

    return run
