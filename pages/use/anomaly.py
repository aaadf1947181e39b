"""Anomaly studio: reconstruction-error scores, a threshold you can see and move, and metrics."""

import numpy as np
import streamlit as st

from ae_core.anomaly import (
    DEFAULT_VALUES,
    SCORES,
    STRATEGIES,
    ReconstructionScorer,
    ThresholdRule,
    anomaly_labels,
    curves,
    default_score,
    detection_metrics,
    flagged_table,
    top_features,
)
from ae_core.runs import aligned_pca
from ui.detector import detector_setup
from ui.plots import detection_curves, flagged_map, score_histogram
from ui.state import current, model_key
from ui.widgets import show_samples

st.title("Anomaly studio")
st.markdown(
    "An autoencoder trained on normal data rebuilds normal samples well and odd ones badly, so its "
    "**reconstruction error is an anomaly score**. Choose where the threshold goes — by a rule or by dragging it — "
    "and see at once what gets flagged and, when the data says which samples are anomalies, how well that works."
)
detector_setup()

checkpoint, data = current()
left, right = st.columns(2)
split = left.selectbox("Score the", ["test", "train", "all"], key="anomaly_split", format_func=lambda s: f"{s} split")
score_kind = right.selectbox(
    "Score",
    list(SCORES),
    index=list(SCORES).index(default_score(checkpoint.model)),
    key="anomaly_score",
    help="; ".join(f"{k}: {v}" for k, v in SCORES.items()),
)


@st.cache_resource(show_spinner="Scoring the training data…", max_entries=8)
def fitted(_checkpoint, key: str, spec: str, score: str) -> ReconstructionScorer:
    return ReconstructionScorer(_checkpoint.model, score=score).fit(data.x_train)


@st.cache_data(show_spinner="Scoring…", max_entries=16)
def scores_of(_scorer, key: str, split: str) -> np.ndarray:
    return _scorer.decision_function(data.split(split)[0])


key = model_key(checkpoint)
scorer = fitted(checkpoint, key, data.spec, score_kind)
scores = scores_of(scorer, f"{key}:{data.spec}:{score_kind}", split)
labels = anomaly_labels(data, split)
x = data.split(split)[0]

strategy = st.selectbox(
    "Threshold rule", list(STRATEGIES), key="anomaly_strategy", format_func=lambda s: f"{s} — {STRATEGIES[s]}"
)
if strategy == "manual":
    low, high = float(scores.min()), float(scores.max())
    value = st.slider(
        "Threshold (score)",
        low,
        high,
        float(np.quantile(scores, 0.95)),
        (high - low) / 500 or 1e-6,
        format="%.4g",
        key="anomaly_manual",
    )
elif strategy == "otsu":
    value = None
else:
    value = st.number_input(
        "Rule parameter",
        0.0,
        100.0,
        float(DEFAULT_VALUES[strategy]),
        0.01 if strategy == "contamination" else 0.1,
        key=f"anomaly_value_{strategy}",
    )
try:
    rule = ThresholdRule(strategy, value)
except ValueError as exc:
    st.error(str(exc))
    st.stop()
threshold = rule.threshold(scorer.decision_scores_)
flagged = scores > threshold

counts = st.columns(5 if labels is not None else 2)
counts[0].metric("Flagged", f"{int(flagged.sum()):,} of {len(scores):,}")
counts[1].metric("Threshold", f"{threshold:.4g}")
if labels is not None:
    found = detection_metrics(labels, scores, threshold)
    counts[2].metric(
        "AUROC",
        f"{found['auroc']:.3f}",
        help="Threshold-free: how well the score ranks anomalies above normal samples.",
    )
    counts[3].metric("Precision · recall", f"{found['precision']:.2f} · {found['recall']:.2f}")
    counts[4].metric("F1", f"{found['f1']:.3f}")
    st.caption(
        f"Confusion at this threshold: {found['tp']} anomalies caught, {found['fn']} missed, "
        f"{found['fp']} normal samples flagged, {found['tn']} normal passed. Average precision {found['average_precision']:.3f}."
    )
else:
    st.caption(
        "This dataset does not say which samples are anomalies, so there are no metrics; "
        "use a one-class set-up (above) or a table whose label column is 1 for anomalies."
    )

st.plotly_chart(score_histogram(scores, labels, threshold), key="anomaly_histogram")
if labels is not None and len(np.unique(labels)) == 2:
    st.plotly_chart(detection_curves(curves(labels, scores), found), key="anomaly_curves")

st.subheader("Most anomalous")
k = st.slider("How many", 4, 32, 12, key="anomaly_topk")
top = np.argsort(-scores)[:k]
if data.kind == "image":
    show_samples(
        np.concatenate([x[top], checkpoint.model.reconstruct(x[top]), scorer.heatmaps(x[top])]),
        columns=len(top),
        caption="Rows: the samples, their reconstructions, where the error is (white = most).",
    )
else:
    st.dataframe(
        {
            "row": top,
            "score": scores[top],
            "contributes most": top_features(scorer.error_map(x[top]), data.feature_names),
        },
        hide_index=True,
    )

st.subheader("Flagged samples in the code space")
st.plotly_chart(flagged_map(aligned_pca(checkpoint.model.embed(x)), flagged), key="anomaly_map")

table = flagged_table(data, split, scores, threshold)
one, two = st.columns(2)
one.download_button(
    "Flagged rows (CSV)",
    table.to_csv(index=False),
    "flagged.csv",
    "text/csv",
    icon=":material/download:",
    on_click="ignore",
)
two.download_button(
    "Threshold setting (JSON)",
    ThresholdRule(strategy, value).to_json(score_kind),
    "threshold.json",
    "application/json",
    icon=":material/download:",
    on_click="ignore",
    help="Use it from a terminal: python -m ae_core score CHECKPOINT --threshold threshold.json",
)
