"""Results that are the same for every student, computed once per server process.

A class follows the teacher: thirty sessions ask for the same scores of the same model with the
same settings. ``shared`` computes such a result once and hands every session the same object,
with its arrays made read-only so that no session can change what the others see.
"""

from __future__ import annotations

import warnings
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
