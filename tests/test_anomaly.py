"""The anomaly scorer: conventions, every threshold rule on planted anomalies, metrics, CLI."""

import json

import numpy as np
import pytest

from ae_core.apps.anomaly import (
    STRATEGIES,
    anomaly_labels,
    detection_metrics,
    detector_request,
    flag,
    flagged_table,
    most_anomalous,
)
from ae_core.apps.anomaly_scorer import ReconstructionScorer, ThresholdRule
from ae_core.cli import main
from ae_core.data import load_dataset
from ae_core.models import build_model
from ae_core.train.loop import fit


@pytest.fixture(scope="module")
def planted():
    """Normal rows lie near a 2-D plane in 12-D; 20 planted anomalies lie far off it."""
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(2, 12))
    normal = rng.normal(size=(400, 2)) @ basis + 0.05 * rng.normal(size=(400, 12))
    odd = rng.normal(size=(20, 2)) @ basis + 1.5 * rng.normal(size=(20, 12))
    x = np.concatenate([normal, odd]).astype(np.float32)
    y = np.r_[np.zeros(400, int), np.ones(20, int)]
    model = build_model("linear", (12,), 2, seed=0)
    fit(model, normal.astype(np.float32), epochs=150, batch_size=64, lr=1e-2, threads=1)
    return model, x, y


def test_scorer_follows_sklearn_conventions(planted):
    model, x, y = planted
    scorer = ReconstructionScorer(model, score="reconstruction")
    assert not hasattr(scorer, "threshold_")
    with pytest.raises(ValueError, match="call fit before predict"):
        scorer.predict(x)
    assert scorer.fit(x) is scorer
    assert scorer.decision_scores_.shape == (len(x),)
    assert scorer.error_map(x).shape == x.shape
    assert np.allclose(scorer.error_map(x).mean(axis=1), scorer.decision_function(x), rtol=1e-5)
    assert set(np.unique(scorer.predict(x))) <= {0, 1}
    with pytest.raises(ValueError, match=r"do not fit the model's input \(12,\)"):
        scorer.decision_function(np.zeros((3, 5), np.float32))


@pytest.mark.parametrize("strategy", [s for s in STRATEGIES if s != "manual"])
def test_every_rule_finds_the_planted_anomalies(planted, strategy):
    model, x, y = planted
    # Robust rules are fitted on the contaminated data itself; mean + k*sigma is not robust (the
    # anomalies inflate sigma), so it is fitted on normal data only, its intended use.
    fitted_on = x[y == 0] if strategy == "sigma" else x
    scorer = ReconstructionScorer(model, ThresholdRule.parse(strategy), score="reconstruction").fit(fitted_on)
    found = detection_metrics(y, scorer.decision_function(x), scorer.threshold_)
    assert found["auroc"] > 0.99
    assert found["recall"] >= 0.9, (strategy, found)
    assert found["precision"] >= 0.75, (strategy, found)


def test_manual_threshold_and_combined_score(planted):
    model, x, y = planted
    scorer = ReconstructionScorer(model, score="combined").fit(x)
    assert detection_metrics(y, scorer.decision_function(x), scorer.threshold_)["auroc"] > 0.99
    manual = ReconstructionScorer(model, ThresholdRule("manual", 1e9)).fit(x)
    assert manual.predict(x).sum() == 0


def test_tables_default_to_the_combined_score_which_sees_extremes_the_model_rebuilds(planted):
    model, x, y = planted
    normal = x[y == 0]
    centre = normal.mean(axis=0)
    # Rows on the normal plane but six times farther out, with the normal rows' off-plane noise.
    far = centre + 6 * (model.reconstruct(normal[:20]) - centre) + 0.05 * np.random.default_rng(1).normal(size=(20, 12))
    x_far = np.concatenate([x[y == 0], far]).astype(np.float32)
    y_far = np.r_[np.zeros((y == 0).sum(), int), np.ones(20, int)]
    scorer = ReconstructionScorer(model).fit(x[y == 0])
    assert scorer.score_kind == "combined"
    combined = detection_metrics(y_far, scorer.decision_function(x_far), scorer.threshold_)["auroc"]
    plain = ReconstructionScorer(model, score="reconstruction").fit(x[y == 0])
    reconstruction = detection_metrics(y_far, plain.decision_function(x_far), plain.threshold_)["auroc"]
    assert combined > 0.95 and reconstruction < 0.8, (combined, reconstruction)
    assert ReconstructionScorer(build_model("conv", (1, 8, 8), 4)).score_kind == "reconstruction"


def test_the_combined_score_sees_rows_between_groups_that_no_single_distance_sees(planted):
    model, x, y = planted
    rng = np.random.default_rng(2)
    basis = np.linalg.svd(x[y == 0] - x[y == 0].mean(axis=0), full_matrices=False)[2][:2]  # the normal plane
    centre = x[y == 0].mean(axis=0)
    # Two tight groups on the plane (the model rebuilds them); odd rows on the plane halfway between,
    # at the groups' centre of mass: a small reconstruction error and a small Mahalanobis distance.
    groups = np.r_[np.full((200, 1), -3.0), np.full((200, 1), 3.0)] * [1, 0] + 0.3 * rng.normal(size=(400, 2))
    between = 0.3 * rng.normal(size=(20, 2))
    rows = (np.concatenate([groups, between]) @ basis + centre).astype(np.float32)
    labels = np.r_[np.zeros(400, int), np.ones(20, int)]
    combined = ReconstructionScorer(model).fit(rows[:400])
    assert detection_metrics(labels, combined.decision_function(rows), combined.threshold_)["auroc"] > 0.95
    plain = ReconstructionScorer(model, score="reconstruction").fit(rows[:400])
    assert detection_metrics(labels, plain.decision_function(rows), plain.threshold_)["auroc"] < 0.8


@pytest.mark.parametrize(
    "text, message",
    [
        ("contamination:0.7", r"contamination must be in \(0, 0.5\], got 0.7"),
        ("sigma:-1", "sigma needs a factor k >= 0"),
        ("manual", "a manual threshold needs a finite score"),
        ("quantum", "threshold strategy must be one of"),
        ("mad:abc", "'abc' is not a number"),
        ('{"value": 1}', "must hold 'strategy'"),
    ],
)
def test_bad_threshold_settings_name_the_value(text, message):
    with pytest.raises(ValueError, match=message):
        ThresholdRule.parse(text)


def test_rule_round_trips_through_json():
    rule = ThresholdRule("mad", 2.5)
    assert ThresholdRule.parse(rule.to_json("combined")) == rule
    assert json.loads(rule.to_json("combined"))["score"] == "combined"


def test_a_threshold_from_any_rule_flags_what_predict_flags_at_the_fitted_one(planted):
    model, x, y = planted
    scorer = ReconstructionScorer(model, score="reconstruction").fit(x[:400])
    scores = scorer.decision_function(x)
    np.testing.assert_array_equal(flag(scores, scorer.threshold_), scorer.predict(x).astype(bool))
    at_a_score = flag(scores, scores[405])
    assert not at_a_score[405] and at_a_score.sum() == (scores > scores[405]).sum()  # strictly above
    top = most_anomalous(scores, 20)
    assert len(top) == 20 and list(scores[top]) == sorted(scores, reverse=True)[:20]
    assert set(top) == set(np.flatnonzero(y))  # the planted ones score highest


def test_metrics_match_a_hand_count():
    labels = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.6, 0.5, 0.9])
    found = detection_metrics(labels, scores, 0.4)
    assert (found["tp"], found["fp"], found["tn"], found["fn"]) == (2, 1, 2, 0)
    assert found["precision"] == pytest.approx(2 / 3) and found["recall"] == 1.0
    assert found["auroc"] == pytest.approx(5 / 6)


def test_one_class_setup_and_binary_labels(tmp_path):
    data = load_dataset("digits?normal=3")
    assert set(data.y_train.tolist()) == {3}
    labels = anomaly_labels(data, "test")
    assert labels.sum() == (data.y_test != 3).sum() and 0 < labels.sum() < len(labels)
    shapes = load_dataset("shapes?n=300&normal=square,circle,triangle")
    assert "cross" not in {shapes.label_names[i] for i in set(shapes.y_train.tolist())}
    assert anomaly_labels(load_dataset("digits")) is None
    with pytest.raises(ValueError, match="'eleven' is not a class"):
        load_dataset("digits?normal=eleven")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "t.npz", x=rng.normal(size=(100, 3)) * [1, 10, 100], y=(np.arange(100) % 10 == 0).astype(int))
    table = load_dataset(detector_request(load_dataset(f"npz:{tmp_path / 't.npz'}")).dataset)
    assert table.scaler["kind"] == "standard"  # the same default as `train --dataset npz:...`
    assert anomaly_labels(table, "all").sum() == 10


def test_flagged_rows_come_back_in_original_units(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 3)) * [1, 10, 100] + [0, 50, 500]
    np.savez(tmp_path / "t.npz", x=x, y=np.zeros(80, int))
    data = load_dataset(f"npz:{tmp_path / 't.npz'}?scale=standard")
    scores = np.arange(len(data.x_test), dtype=float)
    table = flagged_table(data, "test", scores, threshold=len(scores) - 3.5)
    assert list(table["index"]) == [len(scores) - 1, len(scores) - 2, len(scores) - 3]
    for row in table.iloc[:, 3:].to_numpy():
        assert np.isclose(x, row, rtol=1e-4, atol=1e-3).all(axis=1).any(), row


def test_score_cli_writes_scores_and_reports_auroc(tmp_path, capsys):
    out = tmp_path / "det"
    assert (
        main(
            [
                "train",
                "--dataset",
                "digits?normal=0",
                "--model",
                "deep",
                "--latent-dim",
                "4",
                "--epochs",
                "40",
                "--batch-size",
                "32",
                "--threads",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    rule = tmp_path / "rule.json"
    rule.write_text(ThresholdRule("mad", 3.0).to_json())
    assert main(["score", str(out), "--threshold", str(rule), "--out", str(tmp_path / "s.csv")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["rule"] == {"strategy": "mad", "value": 3.0, "score": "reconstruction"}
    assert summary["auroc"] > 0.95 and 0 < summary["flagged"] <= summary["n"] == 359
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert lines[0] == "index,score,flagged,anomaly" and len(lines) == 360
    assert main(["score", str(out), "--threshold", "sigma:-2"]) == 2
    assert "sigma needs a factor k >= 0" in capsys.readouterr().err
