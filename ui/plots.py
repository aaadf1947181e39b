"""Plotly figures for the pages (drawing only; the numbers come from ae_core)."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ui.i18n import _, percent

GRID_TRACE = "decode here"  # the clickable grid's trace name (not shown; tests find the grid by it)
MAP_META = "latent-lab-map"  # layout.meta of the latent map, so page scripts can find it

# Class colours: Okabe & Ito's colour-blind-safe set without its yellow (too pale on white), then
# three dark ones from Paul Tol's "muted" set, drawn as other shapes so they stay apart from their
# nearest Okabe-Ito hue. A class keeps its colour and shape on every page and view.
CLASS_COLORS = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
    "#56B4E9", "#000000", "#882255", "#999933", "#44AA99",
)  # fmt: skip
CLASS_SYMBOLS = ("circle",) * 7 + ("square", "diamond", "x")
FONT = dict(size=15)  # readable from the back of a room
# A selection highlights the chosen points without hiding the rest.
SELECTED = dict(marker=dict(opacity=1.0))
UNSELECTED = dict(marker=dict(opacity=0.3))


def class_marker(label: int | None, size: int) -> dict:
    """The marker of a class (or of unlabelled samples, ``None``), the same wherever it is drawn."""
    if label is None:
        return dict(size=size, color=CLASS_COLORS[0])
    return dict(
        size=size, color=CLASS_COLORS[label % len(CLASS_COLORS)], symbol=CLASS_SYMBOLS[label % len(CLASS_SYMBOLS)]
    )


def class_name(label: int | None, label_names: list[str] | None, default: str | None = None) -> str:
    """A class's name as shown in legends (the shapes' and Fashion-MNIST's classes are translated)."""
    if label is None:
        return default or _("samples")
    return _(label_names[label]) if label_names and label < len(label_names) else str(label)


def latent_map(
    embedding: np.ndarray,
    rows: np.ndarray,
    labels: np.ndarray | None,
    label_names: list[str] | None,
    errors: np.ndarray,
    marked: np.ndarray | None = None,
    grid_steps: int = 40,
) -> go.Figure:
    """A 2-D or 3-D scatter of the map, coloured by label.

    In 2-D an invisible grid of clickable points lies under the data, so a click on empty space
    still reports a position (plotly only reports clicks on points).
    """
    three_d = embedding.shape[1] == 3
    scatter = go.Scatter3d if three_d else go.Scattergl
    figure = go.Figure()
    if not three_d:
        low, high = embedding.min(axis=0), embedding.max(axis=0)
        pad = 0.05 * (high - low)
        gx, gy = np.meshgrid(*(np.linspace(lo - p, hi + p, grid_steps) for lo, hi, p in zip(low, high, pad)))
        figure.add_trace(
            go.Scattergl(
                x=gx.ravel(),
                y=gy.ravel(),
                mode="markers",
                name=GRID_TRACE,
                showlegend=False,
                marker=dict(size=9, color="rgba(0,0,0,0)"),
                hovertemplate=_("decode here") + "<extra></extra>",
            )
        )
    groups = [None] if labels is None else sorted(set(labels.tolist()))
    for group in groups:
        keep = np.ones(len(rows), bool) if group is None else labels == group
        name = class_name(group, label_names)
        coords = dict(x=embedding[keep, 0], y=embedding[keep, 1])
        if three_d:
            coords["z"] = embedding[keep, 2]
        figure.add_trace(
            scatter(
                **coords,
                mode="markers",
                name=name,
                customdata=rows[keep],
                text=[f"{e:.2f}" for e in errors[keep]],
                marker=dict(**class_marker(group, 3 if three_d else 7), opacity=0.85),
                hovertemplate=_(
                    "label {label}<br>sample {sample}<br>error {error}",
                    label=name,
                    sample="%{customdata}",
                    error="%{text}",
                )
                + "<extra></extra>",
                **({} if three_d else dict(selected=SELECTED, unselected=UNSELECTED)),
            )
        )
    if marked is not None:
        coords = dict(x=marked[:, 0], y=marked[:, 1])
        if three_d:
            coords["z"] = marked[:, 2]
        figure.add_trace(
            scatter(
                **coords,
                mode="markers",
                name=_("your input"),
                marker=dict(
                    size=18 if not three_d else 8, symbol="diamond", color="black", line=dict(width=2, color="white")
                ),
            )
        )
    # Streamlit lets a click select a point only while the drag mode is "pan" (its default);
    # box and lasso selection stay one toolbar click away.
    figure.update_layout(
        font=FONT, height=620, margin=dict(l=10, r=10, t=10, b=10), legend=dict(itemsizing="constant"), meta=MAP_META
    )
    return figure


def loss_curves(history: list[dict]) -> go.Figure:
    figure = go.Figure()
    epochs = [row["epoch"] for row in history]
    figure.add_scatter(
        x=epochs,
        y=[row["train"]["loss"] for row in history],
        name=_("train"),
        line=dict(color=CLASS_COLORS[0], width=3),
    )
    figure.add_scatter(
        x=epochs,
        y=[row["val"]["loss"] for row in history],
        name=_("validation"),
        line=dict(color=CLASS_COLORS[1], width=3),
    )
    figure.update_layout(font=FONT, xaxis_title=_("epoch"), yaxis_title=_("loss"), height=320, margin=dict(t=20, b=40))
    return figure


def map_animation(maps: list[dict], label_names: list[str] | None = None) -> go.Figure:
    """Latent-map snapshots taken during training, replayable with a play button and a slider."""

    everything = np.concatenate([np.asarray(m["points"]) for m in maps])
    low, high = everything.min(axis=0), everything.max(axis=0)
    pad = 0.05 * (high - low + 1e-9)
    frames = [
        go.Frame(data=label_traces(m["points"], m.get("labels"), label_names), name=str(m["epoch"])) for m in maps
    ]
    figure = go.Figure(data=frames[-1].data, frames=frames)
    step_args = dict(mode="immediate", frame=dict(duration=400, redraw=True), transition=dict(duration=0))
    figure.update_layout(
        font=FONT,
        height=420,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(range=[low[0] - pad[0], high[0] + pad[0]], title=_("PC 1 of the code")),
        yaxis=dict(range=[low[1] - pad[1], high[1] + pad[1]], title=_("PC 2")),
        updatemenus=[
            dict(
                type="buttons",
                x=0,
                y=1.12,
                xanchor="left",
                direction="left",
                buttons=[dict(label=_("▶ replay"), method="animate", args=[None, {**step_args, "fromcurrent": False}])],
            )
        ],
        sliders=[
            dict(
                active=len(frames) - 1,
                currentvalue=dict(prefix=_("epoch") + " "),
                steps=[dict(label=f.name, method="animate", args=[[f.name], step_args]) for f in frames],
            )
        ],
    )
    return figure


def label_traces(points, labels=None, label_names: list[str] | None = None) -> list:
    """2-D points as one scatter trace per label (or one trace when there are no labels)."""
    points = np.asarray(points)
    if labels is None:
        return [
            go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", marker=class_marker(None, 6), name=_("codes"))
        ]
    labels = np.asarray(labels)
    return [
        go.Scatter(
            x=points[labels == g, 0],
            y=points[labels == g, 1],
            mode="markers",
            marker=dict(**class_marker(g, 6), opacity=0.85),
            name=class_name(g, label_names),
        )
        for g in sorted(set(labels.tolist()))
    ]


def scatter_2d(points, labels=None, label_names=None, title: str = "") -> go.Figure:
    figure = go.Figure(label_traces(points, labels, label_names))
    figure.update_layout(font=FONT, title=title, height=380, margin=dict(l=10, r=10, t=40, b=10))
    return figure


def error_curves(sweep: dict) -> go.Figure:
    """Reconstruction error against code size, PCA and the autoencoder."""
    figure = go.Figure()
    figure.add_scatter(
        x=sweep["code_size"],
        y=sweep["pca"],
        name="PCA",
        mode="lines+markers",
        line=dict(color=CLASS_COLORS[1], width=3),
    )
    figure.add_scatter(
        x=sweep["code_size"],
        y=sweep["autoencoder"],
        name=_("autoencoder"),
        mode="lines+markers",
        line=dict(color=CLASS_COLORS[0], width=3),
    )
    figure.update_layout(
        font=FONT,
        # One tick per code size tried, written as the size itself: a log axis's own ticks
        # ("2…10 2 3") overlap and read as nonsense.
        xaxis=dict(
            title=_("code size"),
            type="log",
            tickvals=list(sweep["code_size"]),
            ticktext=[str(v) for v in sweep["code_size"]],
        ),
        yaxis_title=_("test error per sample"),
        height=360,
        margin=dict(t=20),
    )
    return figure


def score_histogram(
    scores: np.ndarray,
    labels: np.ndarray | None,
    threshold: float,
    classes: np.ndarray | None = None,
    label_names: list[str] | None = None,
    names: dict[str, str] | None = None,
) -> go.Figure:
    """Histogram of anomaly scores with the threshold: one colour per class when ``classes`` are
    given (anomalous classes marked in the legend), else normal and anomalous apart when
    ``labels`` say which is which. ``names`` holds the translated words "all samples",
    "normal", "anomaly", "threshold", the axis title and "{name} (anomaly)"."""
    names = names or {}
    figure = go.Figure()
    bins = dict(start=float(scores.min()), end=float(scores.max()), size=float(np.ptp(scores) / 60 or 1))
    if classes is not None:
        for group in sorted(set(classes.tolist())):
            keep = classes == group
            name = class_name(group, label_names)
            if labels is not None and labels[keep].any():
                name = names.get("anomalous class", _("{name} (anomaly)")).format(name=name)
            color = CLASS_COLORS[group % len(CLASS_COLORS)]
            figure.add_histogram(x=scores[keep], name=name, xbins=bins, opacity=0.75, marker_color=color)
        figure.update_layout(barmode="stack")
    else:
        groups = (
            [(names.get("all samples", _("all samples")), np.ones(len(scores), bool), CLASS_COLORS[0])]
            if labels is None
            else [
                (names.get("normal", _("normal")), labels == 0, CLASS_COLORS[0]),
                (names.get("anomaly", _("anomaly")), labels == 1, CLASS_COLORS[3]),
            ]
        )
        for name, keep, color in groups:
            figure.add_histogram(x=scores[keep], name=name, xbins=bins, opacity=0.7, marker_color=color)
        figure.update_layout(barmode="overlay")
    figure.add_vline(
        x=threshold,
        line=dict(color="black", dash="dash", width=2),
        annotation_text=names.get("threshold", _("threshold")),
    )
    figure.update_layout(
        font=FONT, height=340, margin=dict(t=30, b=40), xaxis_title=names.get("axis", _("score (reconstruction error)"))
    )
    return figure


def detection_curves(curve: dict, point: dict) -> go.Figure:
    """ROC and precision-recall side by side, each with the current operating point."""
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=2, subplot_titles=("ROC", _("Precision-recall")))
    figure.add_scatter(x=curve["fpr"], y=curve["tpr"], name="ROC", row=1, col=1)
    fpr = point["fp"] / max(point["fp"] + point["tn"], 1)
    figure.add_scatter(
        x=[fpr],
        y=[point["recall"]],
        mode="markers",
        marker=dict(size=12, color="black"),
        name=_("threshold"),
        row=1,
        col=1,
    )
    figure.add_scatter(x=curve["recall"], y=curve["precision"], name="PR", row=1, col=2)
    figure.add_scatter(
        x=[point["recall"]],
        y=[point["precision"]],
        mode="markers",
        marker=dict(size=12, color="black"),
        name=_("threshold"),
        showlegend=False,
        row=1,
        col=2,
    )
    figure.update_xaxes(title_text=_("false positive rate"), row=1, col=1)
    figure.update_yaxes(title_text=_("true positive rate"), row=1, col=1)
    figure.update_xaxes(title_text=_("recall"), row=1, col=2)
    figure.update_yaxes(title_text=_("precision"), row=1, col=2)
    figure.update_layout(font=FONT, height=340, margin=dict(t=40, b=40), showlegend=False)
    return figure


def flagged_map(points: np.ndarray, flagged: np.ndarray) -> go.Figure:
    figure = go.Figure()
    figure.add_scatter(
        x=points[~flagged, 0],
        y=points[~flagged, 1],
        mode="markers",
        name=_("normal"),
        marker=dict(size=6, color=CLASS_COLORS[0], opacity=0.45),
    )
    figure.add_scatter(
        x=points[flagged, 0],
        y=points[flagged, 1],
        mode="markers",
        name=_("flagged"),
        marker=dict(size=9, color=CLASS_COLORS[3], symbol="diamond", line=dict(width=1, color="black")),
    )
    figure.update_layout(
        font=FONT, height=380, margin=dict(t=20, b=20), xaxis_title=_("PC 1 of the code"), yaxis_title=_("PC 2")
    )
    return figure


def percent_axis(title: str, values) -> dict:
    """A log axis with one tick per value tried, written as a percentage (plotly's own log ticks
    repeat labels such as "1%1%1%" and crowd "50%60%70%80%90%")."""
    return dict(title=title, type="log", tickvals=list(values), ticktext=[percent(v, 0) for v in values])


def share_axis(title: str, values, step: float = 0.05) -> dict:
    """A linear axis of shares (0-1) with a tick every ``step``, written as this language writes a
    percentage (plotly's ".0%" writes "95%" in every language)."""
    low, high = math.floor(min(values) / step), math.ceil(max(values) / step)
    ticks = [k * step for k in range(low, high + 1)]
    return dict(title=title, tickvals=ticks, ticktext=[percent(t, 0) for t in ticks], hoverformat=".1%")
