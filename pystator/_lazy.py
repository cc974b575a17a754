"""Lazy public names for package `__init__` modules (PEP 562 `__getattr__` and `__dir__`).

A lazy package lists which module defines each name (`lazy_exports`); that module is imported
on first access only. A package that only gives another home to a lazy package's names
(`reexports`) lists none: it reads the other package's table when first asked.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from functools import cache
from importlib import import_module
from typing import Any

#: Names the documents mention that this package deliberately does not provide, with why;
#: importing one is an ImportError saying so rather than "cannot import name".
NOT_PROVIDED: Mapping[str, str] = {
    "MongoDBStateStore": (
        "MongoDBStateStore is not provided: pystator ships only stores its tests run against "
        "a real server, and MongoDB is not among them. Use PostgresStateStore, "
        "RedisStateStore, SQLiteStateStore or InMemoryStateStore, or implement the "
        "StateStore protocol over MongoDB yourself (README: Entities in a store)"
    ),
}

GetAttr = Callable[[str], Any]
Dir = Callable[[], list[str]]


def lazy_exports(
    package: str, sources: Mapping[str, tuple[str, ...]], absent: Mapping[str, str] | None = None
) -> tuple[GetAttr, Dir, list[str]]:
    """The `__getattr__`, `__dir__` and `__all__` of `package`, resolving names listed by `sources`.

    `sources` maps a module to the names it defines; `__all__` is those names, sorted. A name
    in `absent` raises ImportError with its explanation.
    """
    home = {name: module for module, names in sources.items() for name in names}
    getattr_, dir_ = _resolver(package, lambda: home, absent)
    return getattr_, dir_, sorted(home)


def reexports(
    package: str,
    source: str,
    *,
    only: str | None = None,
    own: tuple[str, ...] = (),
    absent: Mapping[str, str] | None = None,
) -> tuple[GetAttr, Dir]:
    """The `__getattr__` and `__dir__` of `package`, giving the public names of `source`.

    `source` is a package built with `lazy_exports`; with `only`, just the names it takes from
    that module. Nothing is imported until a name, `dir()` or `__all__` is asked for; then
    `__all__` is those names and `own`, the ones `package` defines itself.
    """

    @cache
    def home() -> dict[str, str]:
        sources: Mapping[str, tuple[str, ...]] = import_module(source)._SOURCES
        return {
            name: source
            for module, names in sources.items()
            if only is None or module == only
            for name in names
        }

    getattr_, dir_ = _resolver(package, home, absent, own)
    return getattr_, dir_


def _resolver(
    package: str,
    home: Callable[[], Mapping[str, str]],
    absent: Mapping[str, str] | None,
    own: tuple[str, ...] = (),
) -> tuple[GetAttr, Dir]:
    """`__getattr__` and `__dir__` over `home()`, a map from each public name to its module.

    A resolved name is stored in the package's namespace, so later lookups are plain attribute
    reads. Any other name is tried as a submodule, so `import pystator` then
    `pystator.runtime.stores` still works.
    """

    def __getattr__(name: str) -> Any:
        namespace = sys.modules[package]
        if absent is not None and name in absent:
            raise ImportError(absent[name], name=package)
        if name == "__all__":
            value: Any = sorted([*own, *home()])
        elif name in home():
            value = getattr(import_module(home()[name]), name)
        else:
            return _submodule(package, name, namespace)
        setattr(namespace, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | home().keys())

    return __getattr__, __dir__


def _submodule(package: str, name: str, namespace: object) -> Any:
    """The submodule `name` of `package`, or the AttributeError for a missing attribute."""
    if not name.startswith("__"):
        submodule = f"{package}.{name}"
        try:
            return import_module(submodule)
        except ModuleNotFoundError as exc:
            if exc.name != submodule:
                raise
    # `name` and `obj` let the traceback suggest the closest public name.
    raise AttributeError(f"module {package!r} has no attribute {name!r}", name=name, obj=namespace)
