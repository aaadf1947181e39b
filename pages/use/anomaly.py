"""Anomaly studio: reconstruction-error scores, a threshold you can see and move, and metrics."""

import numpy as np
import streamlit as st

from ae_core.apps.anomaly import (
    SCORES,
    anomaly_labels,
    curves,
    default_score,
    detection_metrics,
    flag,
    flagged_table,
    most_anomalous,
    top_features,
)
from ae_core.apps.anomaly_scorer import ReconstructionScorer
from ae_core.checkpoints.library import DEFAULT_DETECTOR
from ae_core.explore.projection import aligned_pca
from ui.detector import detector_setup
from ui.drawn import drawn_once
from ui.i18n import _, integer
from ui.plots import detection_curves, flagged_map, score_histogram
from ui.shared import shared
from ui.state import chosen_name, current, entries, model_key, model_label
from ui.threshold import threshold_controls
from ui.widgets import LARGE_KEY, show_samples

st.title(_("Anomaly studio"))
st.markdown(
    _(
        "An autoencoder trained on normal data rebuilds normal samples well and odd ones badly, so its "
        "**reconstruction error is an anomaly score**. Choose where the threshold goes — by a rule or by dragging "
        "it — and see at once what gets flagged and, when the data says which samples are anomalies, how well "
        "that works."
    )
)
detector_setup()

# A model trained on every class has nothing to call an anomaly, so the page opens on a one-class
# detector (shipped: MNIST digits without the 2) unless the sidebar's model is one.
labels_of = {e.name: model_label(e) for e in entries()}
detectors = [e.name for e in entries() if e.parsed.one_class]
sidebar_model = chosen_name()
options = detectors if sidebar_model in detectors else [*detectors, sidebar_model]
first = sidebar_model if sidebar_model in detectors or not detectors else DEFAULT_DETECTOR
first = first if first in options else options[0]
chosen = st.selectbox(
    _("Detector"),
    options,
    index=options.index(first),
    key="anomaly_detector",
    format_func={
        n: labels_of.get(n, n) + (_(" — the sidebar's model") if n == sidebar_model else "") for n in options
    }.get,
    help=_("One-class detectors were trained on the normal classes only; the other classes are the anomalies."),
)
checkpoint, data = current(name=chosen)
left, right = st.columns(2)
split_names = {"test": _("test split"), "train": _("training split"), "all": _("all samples")}
split = left.selectbox(_("Score the"), list(split_names), key="anomaly_split", format_func=split_names.get)
score_names = {"reconstruction": _("Reconstruction error"), "combined": _("Reconstruction error and code distance")}
score_kind = right.selectbox(
    _("Score"),
    list(SCORES),
    index=list(SCORES).index(default_score(checkpoint.model)),
    key="anomaly_score",
    format_func=score_names.get,
    help=_(
        "The second score adds how far the code lies from the training codes, so it also catches samples that are "
        "unusual in ways the model still reconstructs well."
    ),
)


@st.cache_resource(show_spinner=_("Scoring the training data…"), max_entries=8)
def fitted(_checkpoint, key: str, spec: str, score: str) -> ReconstructionScorer:
    return ReconstructionScorer(_checkpoint.model, score=score).fit(data.x_train)


@st.cache_data(show_spinner=_("Scoring…"), max_entries=16)
def scores_of(_scorer, key: str, split: str) -> np.ndarray:
    return _scorer.decision_function(data.split(split)[0])


key = model_key(checkpoint)
scorer = fitted(checkpoint, key, data.spec, score_kind)
scores = scores_of(scorer, f"{key}:{data.spec}:{score_kind}", split)
labels = anomaly_labels(data, split)
x = data.split(split)[0]

rule, threshold = threshold_controls(scores, scorer.decision_scores_, split_names[split])
flagged = flag(scores, threshold)

view = (key, data.spec, score_kind, split, float(threshold))  # what every drawing below depends on


def results() -> None:
    counts = st.columns(3)  # three to a row: "1,000 of 1,000" stays whole at a projector's 1280 px
    counts[0].metric(_("Flagged"), _("{count} of {total}", count=integer(flagged.sum()), total=integer(len(scores))))
    counts[1].metric(_("Threshold"), f"{threshold:.3g}")
    found = None
    if labels is not None:
        found = detection_metrics(labels, scores, threshold)
        counts[2].metric(
            _("AUROC"),
            f"{found['auroc']:.3f}",
            help=_("Threshold-free: how well the score ranks anomalies above normal samples."),
        )
        quality = st.columns(3)
        quality[0].metric(
            _("Precision"), f"{found['precision']:.3f}", help=_("Of the flagged samples, the share that are anomalies.")
        )
        quality[1].metric(
            _("Recall"), f"{found['recall']:.3f}", help=_("Of the anomalies, the share that are flagged.")
        )
        quality[2].metric("F1", f"{found['f1']:.3f}")
        st.caption(
            _(
                "Confusion at this threshold: {caught} anomalies caught, {missed} missed, {flagged} normal samples "
                "flagged, {passed} normal passed. Average precision {precision}.",
                caught=integer(found["tp"]),
                missed=integer(found["fn"]),
                flagged=integer(found["fp"]),
                passed=integer(found["tn"]),
                precision=f"{found['average_precision']:.3f}",
            )
        )
    else:
        st.caption(
            _(
                "This dataset does not say which samples are anomalies, so there are no metrics; "
                "use a one-class set-up (above) or a table whose label column is 1 for anomalies."
            )
        )

    histogram_words = {
        "all samples": _("all samples"),
        "normal": _("normal"),
        "anomaly": _("anomaly"),
        "threshold": _("threshold"),
        "axis": score_names[score_kind],
        "anomalous class": _("{name} (anomaly)"),
    }
    classes = data.split(split)[1] if data.extra.get("normal_classes") is not None else None
    st.plotly_chart(
        score_histogram(scores, labels, threshold, classes, data.label_names, histogram_words), key="anomaly_histogram"
    )
    if found is not None and len(np.unique(labels)) == 2:
        st.plotly_chart(detection_curves(curves(labels, scores), found), key="anomaly_curves")


def most_anomalous_samples(top: np.ndarray) -> None:
    if data.kind == "image":
        show_samples(
            np.concatenate([x[top], checkpoint.model.reconstruct(x[top]), scorer.heatmaps(x[top])]),
            columns=len(top),
            caption=_("Rows: the samples, their reconstructions, where the error is (white = most)."),
        )
    else:
        st.dataframe(
            {
                _("row"): top,
                _("score"): scores[top],
                _("contributes most"): top_features(scorer.error_map(x[top]), data.feature_names),
            },
            hide_index=True,
        )


def code_points(model, x: np.ndarray) -> np.ndarray:
    return aligned_pca(model.embed(x))


def code_space_map() -> None:
    points = shared(("anomaly map", key, data.spec, split), code_points, checkpoint.model, x)
    st.plotly_chart(flagged_map(points, flagged), key="anomaly_map")


# Drawn once per server for each view and replayed for every other session that shows it.
drawn_once(view, results)
st.subheader(_("Most anomalous"))
k = st.slider(_("How many"), 4, 32, 12, key="anomaly_topk")
drawn_once((*view[:4], k, bool(st.session_state.get(LARGE_KEY))), most_anomalous_samples, most_anomalous(scores, k))
st.subheader(_("Flagged samples in the code space"))
drawn_once(view, code_space_map)

one, two = st.columns(2)
one.download_button(
    _("Flagged rows (CSV)"),
    lambda: flagged_table(data, split, scores, threshold).to_csv(index=False),  # made when asked for
    "flagged.csv",
    "text/csv",
    icon=":material/download:",
    on_click="ignore",
)
two.download_button(
    _("Threshold setting (JSON)"),
    rule.to_json(score_kind),
    "threshold.json",
    "application/json",
    icon=":material/download:",
    on_click="ignore",
    help=_("Use it from a terminal: python -m ae_core score CHECKPOINT --threshold threshold.json"),
)
