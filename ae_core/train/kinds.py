"""What a queued run may be: a model's ``TrainingRequest``, or another kind of request registered
by the layer that defines it (the recommender's, ``ae_core.apps.recommender_training``).

A request of any kind is a frozen dataclass of plain values with ``kind`` (a class attribute),
``epochs``, ``as_dict``/``from_dict``, ``check()`` (everything verified before it is queued) and
``run(out, *, threads, stop_event, on_batch, on_epoch)`` (the training, in the worker process,
returning a JSON-able summary with ``stopped``). A run's record names its request's kind and the
module that registers it, so the worker process, which imports only this layer, can read it.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

MODEL_KIND = "autoencoder"  # a TrainingRequest: the run saves a model in the models folder
MODEL_MODULE = "ae_core.train.request"  # imported only when a model's run is read (it imports torch)
_KINDS: dict[str, type] = {}
_MODULE = re.compile(r"ae_core(\.[a-z_][a-z0-9_]*)+")  # only the library's own modules are imported


def register_request(cls: type) -> type:
    """Make ``cls`` (with a ``kind`` class attribute) a kind of request the queue runs.

    Parameters
    ----------
    cls : type
        The request class; used as a decorator.

    Returns
    -------
    type
        ``cls``.
    """
    _KINDS[cls.kind] = cls
    return cls


def describe(request) -> dict[str, Any]:
    """What a run's record stores of ``request``: ``kind``, ``module`` and ``request`` (its values).

    Parameters
    ----------
    request : a registered request

    Returns
    -------
    dict
    """
    return {"kind": request.kind, "module": type(request).__module__, "request": request.as_dict()}


def read_request(values: dict[str, Any]):
    """The request a run's record (or the worker's set-up) describes, as ``describe`` wrote it.

    A record without ``kind`` or ``module`` (written before there were kinds) is a ``TrainingRequest``.

    Parameters
    ----------
    values : dict
        With ``request`` and, for other kinds than a model's, ``kind`` and ``module``.

    Returns
    -------
    a registered request

    Raises
    ------
    ValueError
        If the kind is unknown, or its module is not one of ``ae_core``'s or does not register it.
    """
    kind = values.get("kind") or MODEL_KIND
    if kind not in _KINDS:
        module = values.get("module") or (MODEL_MODULE if kind == MODEL_KIND else "")
        if not _MODULE.fullmatch(module):
            raise ValueError(f"a queued run of kind {kind!r} names no module of ae_core, got {module!r}")
        importlib.import_module(module)
    if kind not in _KINDS:
        raise ValueError(f"unknown kind of queued run {kind!r}; known: {', '.join(sorted(_KINDS))}")
    return _KINDS[kind].from_dict(values["request"])
