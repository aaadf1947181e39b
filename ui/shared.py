"""Results that are the same for every student, computed once per server process.

A class follows the teacher: thirty sessions ask for the same scores of the same model with the
same settings. ``shared`` computes such a result once and hands every session the same object,
with its arrays made read-only so that no session can change what the others see.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import streamlit as st

T = TypeVar("T")

# Shared arrays are read-only; torch warns when it wraps one without copying. The models only
# read their inputs, so the warning says nothing here (and torch would print it once per process).
warnings.filterwarnings("ignore", message="The given NumPy array is not writable")


def shared(key: tuple, compute: Callable[..., T], *args: Any) -> T:
    """``compute(*args)``, once per server for ``key``.

    ``key`` must name everything the result depends on (the model's ``model_key``, the data
    spec, the settings); ``args`` themselves are not hashed, so arrays cost nothing to pass.
    """
    return _shared((compute.__module__, compute.__qualname__, *key), compute, args)


@st.cache_resource(show_spinner=False, max_entries=256)
def _shared(key: tuple, _compute: Callable[..., T], _args: tuple) -> T:
    return freeze(_compute(*_args))


_DRAWN: OrderedDict[tuple, Any] = OrderedDict()
_DRAWN_MAX = 16
_KEY_LOCKS: dict[tuple, threading.Lock] = {}
_GUARD = threading.Lock()


def shared_drawing(key: tuple, compute: Callable[..., T], *args: Any) -> T:
    """Like ``shared``, for work that draws its own progress bar while it runs.

    ``st.cache_resource`` records the elements a cached function draws and replays them on a
    hit, which fails for a progress bar drawn into the calling page. This keeps the last
    ``_DRAWN_MAX`` results per server process; a session asking while another computes the same
    key waits for it instead of computing it again.
    """
    key = (compute.__module__, compute.__qualname__, *key)
    with _GUARD:
        lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with lock:
        with _GUARD:
            if key in _DRAWN:
                _DRAWN.move_to_end(key)
                return _DRAWN[key]
        value = freeze(compute(*args))
        with _GUARD:
            _DRAWN[key] = value
            while len(_DRAWN) > _DRAWN_MAX:
                _KEY_LOCKS.pop(_DRAWN.popitem(last=False)[0], None)
        return value


def freeze(value: T) -> T:
    """``value`` with every numpy array inside it (tuples, lists, dicts) made read-only."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, list | tuple):
        for item in value:
            freeze(item)
    elif isinstance(value, dict):
        for item in value.values():
            freeze(item)
    return value
