"""Every page runs on the default model without an exception, and its widgets change the view."""

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from ae_core.checkpoints.library import DEFAULT_MODEL, PRETRAINED_DIR, list_models

ROOT = Path(__file__).resolve().parents[1]


def run_page(page: str, **state) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in state.items():
        app.session_state[key] = value
    if page != "pages/explore/overview.py":
        app.switch_page(page)
    return app.run()


def test_the_default_model_ships_with_the_app():
    names = [entry.name for entry in list_models(PRETRAINED_DIR)]
    assert DEFAULT_MODEL in names


def test_overview_shows_reconstructions_of_the_default_model():
    app = run_page("pages/explore/overview.py")
    assert not app.exception
    assert app.title[0].value == "Overview"
    assert app.sidebar.selectbox[0].value == DEFAULT_MODEL
    code_size = next(e for e in list_models(PRETRAINED_DIR) if e.name == DEFAULT_MODEL).config["model"]["latent_dim"]
    assert any(f"code of **{code_size}** numbers" in md.value for md in app.markdown)
    errors_before = [c.value for c in app.caption if c.value.startswith("Errors:")]
    app.number_input(key="overview_seed").set_value(7).run()
    errors_after = [c.value for c in app.caption if c.value.startswith("Errors:")]
    assert errors_before and errors_after and errors_before != errors_after


def test_overview_draws_the_training_curve_of_every_epoch_once_opened():
    app = run_page("pages/explore/overview.py")
    assert not app.get("vega_lite_chart")  # the first page loads no chart code
    app.session_state["overview_curve"] = True  # as opening the box does
    app.run()
    history = next(e for e in list_models(PRETRAINED_DIR) if e.name == DEFAULT_MODEL).parsed.history
    (chart,) = app.get("vega_lite_chart")
    table = pa.ipc.open_stream(chart.proto.data.data).read_all().to_pydict()
    assert table["loss"] == [row["train"]["loss"] for row in history] + [row["val"]["loss"] for row in history]
    assert set(table["curve"]) == {"train", "validation"}
    spec = json.loads(chart.proto.spec)
    assert {layer["encoding"]["y"]["title"] for layer in spec["layer"]} == {"loss"}


@pytest.mark.parametrize("name", [e.name for e in list_models(PRETRAINED_DIR) if e.config.get("dataset") != "mnist"])
def test_overview_runs_for_every_offline_pretrained_model(name):
    app = run_page("pages/explore/overview.py", model_name=name)
    assert not app.exception
    assert app.sidebar.selectbox[0].value == name


def captions(app) -> list[str]:
    return [c.value for c in app.caption]


def test_latent_map_projections_and_point_counts(monkeypatch, tmp_path):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path))
    app = run_page("pages/explore/latent_map.py", model_name="digits-conv")
    assert not app.exception
    assert any("359 test samples (PCA of 8-number codes)" in c for c in captions(app))
    app.selectbox(key="map_method").set_value("tsne").run()
    assert not app.exception and any("(t-SNE of 8-number codes)" in c for c in captions(app))
    app.selectbox(key="map_split").set_value("train").run()
    assert any("1,438 train samples" in c or "1,400 train samples" in c for c in captions(app)), captions(app)


def test_latent_map_offers_the_raw_code_only_for_2d_codes():
    assert "raw" not in run_page("pages/explore/latent_map.py").selectbox(key="map_method").options
    app = run_page("pages/explore/latent_map.py", model_name="digits-vae")
    assert "raw code" in app.selectbox(key="map_method").options
    app.selectbox(key="map_method").set_value("raw").run()
    assert not app.exception and any("(raw code of 2-number codes)" in c for c in captions(app))


def test_generate_page_interpolates_samples_and_traverses():
    app = run_page("pages/explore/generate.py", model_name="digits-conv")
    assert not app.exception
    tabs = [t.label for t in app.tabs]
    assert tabs == ["Interpolate", "Sample", "Traverse"]  # no manifold for an 8-number code
    captions_of_images = [c for image in app.get("image") for c in image.captions]
    assert any("decoded codes along a linear path" in c for c in captions_of_images)

    assert any("Traversal grid" in md.value for md in app.markdown)
    assert app.multiselect[0].label == "Dimensions (highest variance first)" and len(app.multiselect[0].value) == 6

    # The live traversal is a browser component: its data is what the browser will show.
    def traversal():
        (component,) = app.get("bidi_component")
        return json.loads(component.proto.json)

    before = traversal()
    assert len(before["labels"]) == 6 and "variance" in before["labels"][0]
    assert before["ks"] == [None] * 6 and before["sprite"].startswith("data:image/png;base64,")
    # What the browser sends when the first slider is released at its right end.
    app.session_state[before["identity"]] = {"ks": [40] + [None] * 5}
    app.run()
    after = traversal()
    assert not app.exception
    assert after["ks"][0] == 40 and after["current"] != before["current"] and after["sprite"] != before["sprite"]

    # Fewer dimensions: fewer sliders, and the grid follows.
    app.multiselect[0].set_value([3, 1]).run()
    assert not app.exception and traversal()["labels"][0].startswith("dimension 3") and len(traversal()["labels"]) == 2


def test_generate_page_for_a_vae_orders_by_kl_and_shows_the_manifold():
    app = run_page("pages/explore/generate.py", model_name="digits-vae")
    assert not app.exception
    assert [t.label for t in app.tabs][-1] == "Manifold"
    assert app.multiselect[0].label == "Dimensions (highest KL first)"
    labels = json.loads(app.get("bidi_component")[0].proto.json)["labels"]
    assert labels and all(label.startswith("dimension") and "KL" in label for label in labels)


@pytest.mark.slow
def test_train_page_trains_in_the_background_and_the_model_appears(latent_lab_home):
    import time

    app = run_page("pages/train/train.py")
    assert not app.exception
    assert app.selectbox(key="train_model").value == "conv"
    app.selectbox(key="train_model").set_value("sparse").run()
    assert "sparsity target" in [n.label for n in app.number_input]
    app.selectbox(key="train_model").set_value("deep").run()
    app.number_input(key="train_epochs").set_value(3).run()
    app.text_input(key="train_name").set_value("apptest-deep").run()
    app.button[0].click().run()
    assert not app.exception and not app.error
    deadline = time.time() + 120
    while not app.success and time.time() < deadline:
        time.sleep(0.5)
        app.run()
    assert app.success and "Finished after 3 epochs" in app.success[0].value
    assert "apptest-deep" in app.sidebar.selectbox[0].options[-1]


def test_train_page_refuses_a_bad_setting_with_one_line(latent_lab_home):
    app = run_page("pages/train/train.py")
    app.text_input(key="train_opt_conv_channels").set_value("32,x").run()
    assert not app.exception
    assert "whole numbers separated by commas" in app.error[0].value
    app = run_page("pages/train/train.py")
    app.text_input(key="train_name").set_value("no spaces please").run()
    app.button[0].click().run()
    assert "not allowed" in app.error[0].value


def test_models_page_lists_renames_and_deletes(latent_lab_home):
    from ae_core.checkpoints import save_checkpoint
    from ae_core.checkpoints.library import claim_model
    from ae_core.models import build_model
    from ae_core.system.paths import user_models_dir

    save_checkpoint(build_model("deep", (1, 8, 8), 4, seed=0), user_models_dir() / "mine", dataset="digits")
    claim_model("mine", "browser-1")
    app = run_page("pages/train/models.py", owner="browser-1")
    assert not app.exception
    names = list(app.dataframe[0].value["name"])
    assert DEFAULT_MODEL in names and "mine" in names
    app.selectbox(key="manage_model").set_value("mine").run()
    app.text_input(key="manage_new_name").set_value("mine-renamed").run()
    next(b for b in app.button if b.label == "Rename").click().run()
    assert not app.exception
    assert "Renamed" in app.success[0].value
    assert "mine-renamed" in list(app.dataframe[0].value["name"])
    app.selectbox(key="manage_model").set_value("mine-renamed").run()
    delete = next(b for b in app.button if b.label == "Delete")
    assert delete.disabled  # needs the confirmation first
    app.checkbox(key="manage_sure").check().run()
    next(b for b in app.button if b.label == "Delete").click().run()
    assert "Deleted" in app.success[0].value
    assert "mine-renamed" not in list(app.dataframe[0].value["name"])


def test_compare_page_puts_pca_beside_the_autoencoder():
    app = run_page("pages/explore/compare.py", model_name="digits-conv")
    assert not app.exception
    ae, pca = (float(m.value) for m in app.metric[:2])
    assert ae < pca  # the shipped conv model beats PCA with the same 8 numbers
    next(b for b in app.button if "linear autoencoder" in b.label).click().run()
    assert not app.exception
    assert float(app.metric[2].value.rstrip("°")) < 30
    assert any("no epoch snapshots" in i.value for i in app.info)


def test_anomaly_page_threshold_rules_move_the_flagged_count(latent_lab_home):
    from ae_core.system.paths import user_models_dir
    from ae_core.train.request import TrainingRequest, run_training
    from ae_core.train.settings import TrainingSettings

    run_training(
        TrainingRequest("digits?normal=3", "deep", 4, settings=TrainingSettings(epochs=30), map_every=0),
        user_models_dir() / "det",
        threads=1,
    )
    app = run_page("pages/use/anomaly.py", model_name="det")
    assert not app.exception

    def flagged():
        return int(app.metric[0].value.split(" of ")[0].replace(",", ""))

    assert float(app.metric[2].value) > 0.8  # AUROC of digit 3 against the rest
    base = flagged()
    app.number_input(key="anomaly_value_contamination").set_value(0.3).run()
    assert flagged() > base
    app.selectbox(key="anomaly_strategy").set_value("manual").run()
    app.slider(key="anomaly_manual").set_value(app.slider(key="anomaly_manual").max).run()
    assert flagged() == 0
    app.selectbox(key="anomaly_strategy").set_value("otsu").run()
    assert not app.exception and 0 < flagged() < 359
    app.selectbox(key="anomaly_score").set_value("combined").run()
    assert not app.exception


def test_anomaly_page_opens_on_the_shipped_detector_and_a_5_percent_rule_flags_5_percent():
    from ae_core.checkpoints.library import DEFAULT_DETECTOR

    app = run_page("pages/use/anomaly.py")
    assert not app.exception
    assert app.selectbox(key="anomaly_detector").value == DEFAULT_DETECTOR
    values = {m.label: m.value for m in app.metric}
    assert float(values["AUROC"]) > 0.9  # metrics at once: the held-out digit is the anomaly
    flagged, total = (int(v.replace(",", "")) for v in values["Flagged"].split(" of "))
    assert abs(flagged / total - 0.05) < 0.01
    assert any("Fitted on the 1,000 scores shown" in c.value for c in app.caption)
    app.selectbox(key="anomaly_fit_on").set_value("train").run()
    assert any("Fitted on the" in c.value and "training scores" in c.value for c in app.caption)


def test_anomaly_page_without_labels_explains_why_there_are_no_metrics():
    app = run_page("pages/use/anomaly.py")
    app.selectbox(key="anomaly_detector").set_value(DEFAULT_MODEL).run()
    assert not app.exception
    assert any("does not say which samples are anomalies" in c.value for c in app.caption)


def test_noise_lab_shows_both_models_and_the_denoising_one_wins_on_gaussian_noise():
    app = run_page("pages/denoise/noise_lab.py", model_name="digits-denoising")
    assert not app.exception
    psnr = [float(c.value.split()[1]) for c in app.caption if c.value.startswith("PSNR")]
    noisy, plain, denoising = psnr
    assert denoising > plain and denoising > noisy
    app.selectbox(key="lab_kind").set_value("occlusion").run()
    assert not app.exception
    assert any("Place the box yourself" in c.value for c in app.caption)


def test_photo_page_opens_on_a_noisy_sample_follows_the_strength_and_compares_in_demo_mode():
    app = run_page("pages/denoise/photo.py")
    assert not app.exception
    assert any("simulated camera noise" in c.value for c in app.caption)
    estimated = float(app.metric[0].value.split("≈")[1])
    assert estimated > 3  # a noisy photo, not a clean one
    result = app.session_state["photo_result"]
    app.slider(key="photo_strength").set_value(0.0).run()
    untouched = app.session_state["photo_result"]
    assert np.abs(untouched - result).mean() > 1 / 255  # strength 0 gives the photo back as it was
    app.slider(key="photo_strength").set_value(1.0)
    app.toggle(key="photo_demo").set_value(True).run()
    assert not app.exception
    table = app.dataframe[0].value.set_index("method")
    assert set(table.index) >= {"noisy input", "this network", "median", "non-local means"}
    assert table.loc["this network", "psnr"] > table.loc["noisy input", "psnr"] + 3


def test_explorer_pages_explain_that_a_photo_denoiser_has_no_map():
    app = run_page("pages/explore/latent_map.py", model_name="photo-denoiser")
    assert not app.exception
    assert "photo denoiser" in app.info[0].value


@pytest.mark.slow
def test_recommender_page_opens_trained_and_beats_the_baselines():
    """The first view needs no click: the demo ratings' model is trained once per deployment, on
    the training queue, and shown when it is done."""
    import time

    app = run_page("pages/use/recommender.py")
    assert not app.exception
    assert not [b for b in app.button if "Train" in b.label]
    deadline = time.time() + 300
    while not app.metric and time.time() < deadline:
        time.sleep(1)
        app.run()
    values = {m.label: float(m.value) for m in app.metric}
    assert values["autoencoder"] < min(values["global mean"], values["user mean"], values["item mean"])
    first = app.dataframe[1].value["item"].tolist()
    app.selectbox(key="rec_user").set_value(app.selectbox(key="rec_user").options[5]).run()
    assert app.dataframe[1].value["item"].tolist() != first


def test_imputation_page_scores_three_methods_on_images_and_tables():
    app = run_page("pages/use/imputation.py")
    assert not app.exception
    assert len(app.metric) == 3 and all(float(m.value) > 0 for m in app.metric)
    ae, _, knn = (float(m.value) for m in app.metric)
    assert ae < knn  # the first view: scattered gaps, where the autoencoder is ahead
    app.radio(key="imp_kind").set_value("box").run()
    before = [m.value for m in app.metric]
    app.slider(key="imp_size").set_value(5).run()
    assert [m.value for m in app.metric] != before
    assert any("kNN wins here" in i.value for i in app.info)  # and it says why
    app.radio(key="imp_kind").set_value("table").run()
    assert not app.exception and len(app.metric) == 3


def test_code_space_page_compares_codes_with_raw_inputs_and_pca():
    app = run_page("pages/use/code_space.py", model_name="digits-conv")
    assert not app.exception
    values = {m.label: m.value for m in app.metric}
    hashed = float(values["autoencoder bits: precision@10"])
    assert hashed > float(values["random bits: precision@10"]) + 0.5
    assert hashed > float(values["thresholded PCA: precision@10"])


def test_few_labels_page_shows_the_shipped_comparison_at_once_with_recompute():
    app = run_page("pages/use/few_labels.py")
    assert not app.exception
    assert any("Computed in advance" in c.value for c in app.caption)
    assert any(b.label == "Recompute" for b in app.button)
    assert float(app.dataframe[0].value["autoencoder + fine-tuning"][0].rstrip("%")) > 50


@pytest.mark.slow
def test_few_labels_page_draws_accuracy_against_label_fraction():
    app = run_page("pages/use/few_labels.py", model_name="digits-conv")
    app.multiselect(key="few_fractions").set_value([0.1]).run()
    next(b for b in app.button if "Run" in b.label).click().run()
    assert not app.exception
    table = app.dataframe[0].value
    assert float(table["autoencoder + fine-tuning"][0].rstrip("%")) > 80


def test_traversal_sheets_keep_every_grid_column_and_shrink_for_large_images():
    from ui.traversal import slider_steps

    assert slider_steps((1, 28, 28), 6) == 41
    large = slider_steps((3, 128, 128), 6)
    assert 9 <= large < 41 and (large - 1) % 8 == 0
