"""How to install one of pystator's extras, in the words every missing-dependency error uses.

The package index's `pystator` is an unrelated project, so no hint names it there.
"""

from __future__ import annotations


def install_hint(extra: str) -> str:
    """The sentence telling a user how to add `extra` to this pystator."""
    return (
        f"install pystator with its extra `{extra}`: in a checkout, "
        f'pip install ".[{extra}]"; from a wheelhouse, pip install --no-index '
        f'--find-links WHEELHOUSE "pystator[{extra}]" (README: Installing)'
    )
