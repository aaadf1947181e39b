"""A run's training curve as a Vega-Lite chart, for the first page.

Written as a Vega-Lite spec for ``st.vega_lite_chart``: ``st.line_chart`` builds the same chart
through Altair, whose schema validation cost more server time (~100 ms) than the rest of the
Overview page, on every run, while the browser waited for that server to send the page's
pictures. Plotly is not used here either: it would make the first page load 4.7 MB of script.
"""

from __future__ import annotations

from ui.i18n import _
from ui.plots import CLASS_COLORS

HOVER = "hovered_epoch"


def loss_rows(history: list[dict]) -> list[dict]:
    """One row per epoch and curve: ``epoch``, ``curve`` (train / validation, translated), ``loss``."""
    names = {"train": _("train"), "val": _("validation")}
    return [
        {"epoch": row["epoch"], "curve": name, "loss": row[part]["loss"]}
        for part, name in names.items()
        for row in history
    ]


def loss_curve_spec(height: int = 320) -> dict:
    """Training and validation loss against the epoch, as ``st.line_chart`` draws lines: a point
    and a tooltip at the epoch nearest the pointer, drag to pan, wheel to zoom."""
    encoding = {
        "x": {"field": "epoch", "type": "quantitative", "title": _("epoch"), "axis": {"grid": False, "tickMinStep": 1}},
        "y": {"field": "loss", "type": "quantitative", "title": _("loss"), "axis": {"grid": True}},
        "color": {
            "field": "curve",
            "type": "nominal",
            "title": " ",
            "scale": {"domain": [_("train"), _("validation")], "range": list(CLASS_COLORS[:2])},
            "legend": {"orient": "bottom", "offset": 5, "titlePadding": 5},
        },
        "tooltip": [
            {"field": "epoch", "type": "quantitative", "title": _("epoch")},
            {"field": "loss", "type": "quantitative", "title": _("loss")},
            {"field": "curve", "type": "nominal", "title": " "},
        ],
    }
    return {
        "height": height,
        "config": {"legend": {"symbolType": "stroke"}},
        "layer": [
            {
                "mark": {"type": "line"},
                "encoding": encoding,
                "params": [{"name": "zoom", "select": "interval", "bind": "scales"}],
            },
            {
                "mark": {"type": "point", "opacity": 0},
                "encoding": encoding,
                "params": [
                    {
                        "name": HOVER,
                        "select": {
                            "type": "point",
                            "fields": ["epoch"],
                            "nearest": True,
                            "on": "mousemove",
                            "clear": "mouseleave",
                        },
                    }
                ],
            },
            {
                "mark": {"type": "point", "filled": True, "size": 65},
                "encoding": encoding,
                "transform": [{"filter": {"param": HOVER, "empty": False}}],
            },
        ],
    }
