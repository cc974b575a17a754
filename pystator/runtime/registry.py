"""Registries of named callables: the guards and the actions a machine's names refer to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Generic, TypeVar, cast

from pystator.runtime.errors import FSMError

FnT = TypeVar("FnT", bound=Callable[..., Any])
F = TypeVar("F", bound=Callable[..., Any])


class Registry(Generic[FnT]):
    """Callables by name; `kind` says what they are in messages ("guard", "action")."""

    kind: ClassVar[str] = "callable"

    def __init__(self) -> None:
        self._entries: dict[str, FnT] = {}

    def register(self, name: str, fn: FnT) -> None:
        check_named(name, f"{self.kind} name", fn, f"{self.kind} {name!r}")
        self._entries[name] = fn

    def decorator(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function under `name` (default: its own name)."""

        def wrap(fn: F) -> F:
            # Any callable of the registry's kind: F keeps the decorated function's own type.
            self.register(name or fn.__name__, cast(FnT, fn))
            return fn

        return wrap

    def get(self, name: str) -> FnT:
        try:
            return self._entries[name]
        except KeyError:
            raise self._missing(name) from None

    def _missing(self, name: str) -> FSMError:
        """The error for a name nothing is registered under."""
        return FSMError(f"{self.kind.capitalize()} {name!r} is not registered")

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def update(self, other: Registry[FnT]) -> None:
        self._entries.update(other._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def check_named(name: object, name_is: str, fn: object, fn_is: str) -> None:
    """TypeError unless `name` is a non-empty string and `fn` a callable; `name_is` and
    `fn_is` say what each is in the message."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"{name_is} must be a non-empty string, got {name!r}")
    if not callable(fn):
        raise TypeError(f"{fn_is} must be callable, got {type(fn).__name__}")
