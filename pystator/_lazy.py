"""Lazy public names for package `__init__` modules (PEP 562 `__getattr__` and `__dir__`).

A package lists which module defines each name; that module is imported on first access only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
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


def lazy_exports(
    package: str, sources: Mapping[str, tuple[str, ...]], absent: Mapping[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, resolving names listed by `sources`.

    `sources` maps a module to the names it defines. A resolved name is stored in the
    package's namespace, so later lookups are plain attribute reads. A name in `absent`
    raises ImportError with its explanation. Any other name is tried as a submodule, so
    `import pystator` then `pystator.runtime.stores` still works.
    """
    home = {name: module for module, names in sources.items() for name in names}

    def __getattr__(name: str) -> Any:
        namespace = sys.modules[package]
        if absent is not None and name in absent:
            raise ImportError(absent[name], name=package)
        module = home.get(name)
        if module is not None:
            value = getattr(import_module(module), name)
            setattr(namespace, name, value)
            return value
        if not name.startswith("__"):
            submodule = f"{package}.{name}"
            try:
                return import_module(submodule)
            except ModuleNotFoundError as exc:
                if exc.name != submodule:
                    raise
        # `name` and `obj` let the traceback suggest the closest public name.
        raise AttributeError(
            f"module {package!r} has no attribute {name!r}", name=name, obj=namespace
        )

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | home.keys())

    return __getattr__, __dir__
