"""The anomaly page's threshold controls: a rule in plain words, and which scores it is fitted on."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ae_core.apps.anomaly import DEFAULT_VALUES
from ae_core.apps.anomaly_scorer import ThresholdRule
from ui.i18n import _, integer, percent


def rule_names() -> dict[str, str]:
    return {
        "contamination": _("Flag a fixed share: the highest-scoring part"),
        "sigma": _("Mean plus k standard deviations"),
        "mad": _("Median plus k robust deviations (MAD)"),
        "iqr": _("Upper quartile plus k inter-quartile ranges (Tukey)"),
        "otsu": _("Otsu: split the histogram in two (no setting)"),
        "manual": _("By hand: drag the threshold"),
    }


def parameter_labels() -> dict[str, str]:
    return {
        "contamination": _("Share to flag (0.05 = 5%)"),
        "sigma": _("k, in standard deviations"),
        "mad": _("k, in robust deviations"),
        "iqr": _("k, in inter-quartile ranges"),
    }


def threshold_controls(shown: np.ndarray, training: np.ndarray, split: str) -> tuple[ThresholdRule, float]:
    """Choose a rule and the scores it is fitted on; returns the rule and the threshold, and says
    in a caption what the rule flags on the shown scores when it was fitted on others."""
    names = rule_names()
    left, right = st.columns([3, 2])
    strategy = left.selectbox(_("Threshold rule"), list(names), key="anomaly_strategy", format_func=names.get)
    # Labels made here, in this session's language: Streamlit may call format_func outside the run.
    fit_names = {"shown": _("the scores shown here"), "train": _("the training scores (normal data)")}
    fitted_on = right.selectbox(
        _("Fit the rule on"),
        list(fit_names),
        key="anomaly_fit_on",
        format_func=fit_names.get,
        disabled=strategy == "manual",
        help=_(
            "A rule such as 'flag 5%' means 5% of the scores it is fitted on. Fitted on the training scores it "
            "flags more of new data, which holds anomalies and which the model has not learned by heart."
        ),
    )
    fit_scores = shown if fitted_on == "shown" else training
    value = None
    if strategy == "manual":
        low, high = float(shown.min()), float(shown.max())
        value = st.slider(
            _("Threshold (score)"),
            low,
            high,
            float(np.quantile(shown, 0.95)),
            (high - low) / 500 or 1e-6,
            format="%.3g",
            key="anomaly_manual",
        )
    elif strategy != "otsu":
        value = st.number_input(
            parameter_labels()[strategy],
            0.0,
            100.0,
            float(DEFAULT_VALUES[strategy]),
            0.01 if strategy == "contamination" else 0.1,
            key=f"anomaly_value_{strategy}",
        )
    try:
        rule = ThresholdRule(strategy, value)
        threshold = rule.fit(fit_scores).threshold_
    except ValueError as exc:
        st.error(str(exc))
        st.stop()
    share = float(rule.predict(shown).mean())
    if strategy == "manual":
        return rule, threshold
    if fitted_on == "shown":
        st.caption(
            _(
                "Fitted on the {count} scores shown ({split}): it flags {share} of them.",
                count=integer(len(shown)),
                split=split,
                share=percent(share),
            )
        )
    else:
        st.caption(
            _(
                "Fitted on the {count} training scores: it flags {fit_share} of those but {share} of the scores "
                "shown ({split}), which hold anomalies and samples the model never trained on.",
                count=integer(len(training)),
                fit_share=percent(float(rule.predict(training).mean())),
                share=percent(share),
                split=split,
            )
        )
    return rule, threshold
