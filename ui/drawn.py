"""Drawing that is the same for every session: done once per server, then replayed.

Thirty students following the teacher rerun the same page with the same model and settings at
the same moment. A chart's specification or a sheet of pictures is then built thirty times for
one result. ``drawn_once`` runs a drawing function once per server for a key and, on every later
call, replays the elements it drew (Streamlit's own replay of cached elements, pictures
included), which costs a small fraction of building them.

``busy`` is ``st.spinner`` for work that is usually cached: a spinner starts a timer thread, and
thirty followers' reruns starting threads at once wait for each other's turn at the interpreter
lock; a result already computed needs no spinner.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import streamlit as st

from ui.i18n import current_language

_DONE: set[Hashable] = set()
_DONE_MAX = 4096
_DONE_LOCK = threading.Lock()


def drawn_once(key: tuple, draw: Callable[..., None], *args: Any) -> None:
    """``draw(*args)``, run once per server for ``key`` (and the session's language), replayed after.

    ``key`` must name everything the drawing depends on; ``args`` are not hashed. ``draw`` may
    draw any element that is not a widget, with ``st.*`` or containers it makes itself."""
    _replayed((draw.__code__.co_filename, draw.__qualname__, current_language(), *key), draw, args)


@st.cache_resource(show_spinner=False, max_entries=128)
def _replayed(key: tuple, _draw: Callable[..., None], _args: tuple) -> None:
    _draw(*_args)


@contextlib.contextmanager
def busy(message: str, done: Hashable, **spinner: Any) -> Iterator[None]:
    """``st.spinner(message, **spinner)`` unless the work named ``done`` already finished in this server."""
    if done in _DONE:
        yield
        return
    with st.spinner(message, **spinner):
        yield
    with _DONE_LOCK:
        if len(_DONE) >= _DONE_MAX:
            _DONE.clear()
        _DONE.add(done)
