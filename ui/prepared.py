"""Plotly figures built once per server and shown by every session that asks for the same one.

A chart the user clicks (the latent map's ``on_select``) is a widget, so it cannot be replayed
like ``ui.drawn``'s drawings; but its figure is the same for thirty followers. Building a
``go.Figure`` of a few thousand points and turning it into a dict costs tens of milliseconds of
the interpreter (plotly validates every property); ``shared_figure`` does that once, and
``st.plotly_chart`` then only serialises the ready dict (with orjson, plotly's fast engine).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go

from ui.i18n import current_language
from ui.shared import shared


class PreparedFigure(go.Figure):
    """A figure whose ``to_dict`` was computed once; shared read-only, for ``st.plotly_chart`` only
    (its own properties are empty)."""

    def __init__(self, figure: go.Figure) -> None:
        super().__init__()
        self._prepared = figure.to_dict()

    def to_dict(self) -> dict:
        return self._prepared


def shared_figure(key: tuple, build: Callable[..., go.Figure], *args: Any) -> go.Figure:
    """``build(*args)`` prepared once per server for ``key`` and the session's language.

    ``key`` must name everything the figure depends on; ``args`` are not hashed."""
    return shared((build.__module__, build.__qualname__, current_language(), *key), _prepare, build, args)


def _prepare(build: Callable[..., go.Figure], args: tuple) -> PreparedFigure:
    return PreparedFigure(build(*args))
