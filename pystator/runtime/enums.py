"""NameEnum: the StrEnum that generated State and Trigger classes derive from, built
without the per-member checks of a class statement so that thousands of members import fast.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from enum import EnumType, StrEnum
from typing import Any, cast

#: The standard library's own quick constructor (its modules' large enums use it); when a
#: Python lacks it, classes are built the ordinary way.
_SIMPLE: Callable[..., Callable[[type], type]] | None = getattr(enum, "_simple_enum", None)


class NameEnumType(EnumType):
    """Builds each subclass of `NameEnum` from a plain namespace in one pass.

    A class statement under `EnumType` checks every member as it is assigned (an
    `_EnumDict`) and then sets each one up through a descriptor; the generator has
    already made the members unique and valid, so the body is collected as a plain dict
    and the members are made as the standard library makes its own large enums.
    """

    @classmethod
    def __prepare__(  # type: ignore[override]
        metacls, cls: str, bases: tuple[type, ...], **kwds: Any
    ) -> dict[str, Any]:
        if _SIMPLE is None or kwds or not _quick(bases):
            return super().__prepare__(cls, bases, **kwds)
        return {}

    def __new__(
        metacls,
        cls: str,
        bases: tuple[type, ...],
        classdict: dict[str, Any],
        **kwds: Any,
    ) -> NameEnumType:
        if _SIMPLE is None or kwds or not _quick(bases) or isinstance(classdict, enum._EnumDict):
            # NameEnum itself, or the class `_SIMPLE` makes (it passes `_simple=True`).
            return super().__new__(metacls, cls, bases, classdict, **kwds)  # type: ignore[arg-type]
        return cast(NameEnumType, _SIMPLE(bases[0])(type(cls, (), classdict)))


def _quick(bases: tuple[type, ...]) -> bool:
    """Whether a class with `bases` is a generated one: exactly one base, a NameEnum."""
    return len(bases) == 1 and isinstance(bases[0], NameEnumType)


class NameEnum(StrEnum, metaclass=NameEnumType):
    """A StrEnum of names (states, triggers) whose subclasses are quick to build."""
