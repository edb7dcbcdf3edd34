"""One way for a resource to be its own context manager: ``with Thing(...) as thing:`` closes it.

Stores, API and OAuth clients, archives, CSV tables and servers each have a ``close()``; they
inherit ``__enter__``/``__exit__`` from ``Closing`` instead of writing them again.
"""

from __future__ import annotations

from typing import Self


class Closing:
    """``with`` support for a class with ``close()``: the object itself on entry, ``close()`` on exit."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
