"""Papermill's entry point for the hiworkbook engine (``papermill --engine hiworkbook``).

Papermill loads every registered engine when ``papermill.engines`` is first imported, and
:mod:`hiworkbook.engine` imports ``papermill.engines`` (its engine subclasses Papermill's
``NBClientEngine``). Were the entry point the engine itself, importing :mod:`hiworkbook.engine`
before Papermill would make Papermill load that half-imported module. So the entry point is this
small handle, which imports nothing of Papermill and hands each call to
:class:`hiworkbook.engine.HiworkbookEngine` when Papermill makes it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HiworkbookEngine"]


class HiworkbookEngine:
    """Papermill's handle on :class:`hiworkbook.engine.HiworkbookEngine` (the calls Papermill
    makes of an engine: ``execute_notebook``, ``nb_kernel_name``, ``nb_language``)."""

    @staticmethod
    def engine() -> type:
        """The engine class itself."""
        from hiworkbook.engine import HiworkbookEngine as engine

        return engine

    @classmethod
    def execute_notebook(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.engine().execute_notebook(*args, **kwargs)

    @classmethod
    def nb_kernel_name(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.engine().nb_kernel_name(*args, **kwargs)

    @classmethod
    def nb_language(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.engine().nb_language(*args, **kwargs)
