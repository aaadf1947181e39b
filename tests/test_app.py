"""Every page runs on the default model without an exception, and its widgets change the view."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ae_core.zoo import DEFAULT_MODEL, PRETRAINED_DIR, list_models

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
    assert any("code of **8** numbers" in md.value for md in app.markdown)
    errors_before = [c.value for c in app.caption if c.value.startswith("Errors:")]
    app.number_input(key="overview_seed").set_value(7).run()
    errors_after = [c.value for c in app.caption if c.value.startswith("Errors:")]
    assert errors_before and errors_after and errors_before != errors_after


@pytest.mark.parametrize("name", [e.name for e in list_models(PRETRAINED_DIR) if e.config.get("dataset") != "mnist"])
def test_overview_runs_for_every_offline_pretrained_model(name):
    app = run_page("pages/explore/overview.py", model_name=name)
    assert not app.exception
    assert app.sidebar.selectbox[0].value == name


def captions(app) -> list[str]:
    return [c.value for c in app.caption]


def test_latent_map_projections_and_point_counts(monkeypatch, tmp_path):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path))
    app = run_page("pages/explore/latent_map.py")
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
    app = run_page("pages/explore/generate.py")
    assert not app.exception
    tabs = [t.label for t in app.tabs]
    assert tabs == ["Interpolate", "Sample", "Traverse"]  # no manifold for an 8-number code
    captions_of_images = [c for image in app.get("image") for c in image.captions]
    assert any("decoded codes along a linear path" in c for c in captions_of_images)

    assert any("Traversal grid" in md.value and "highest variance first" in md.value for md in app.markdown)

    def live_image():
        return next(str(image.proto) for image in app.get("image") if "decoded live" in image.captions)

    sliders = [s for s in app.slider if s.label.startswith("dimension")]
    assert len(sliders) == 6 and "variance" in sliders[0].label
    before = live_image()
    sliders[0].set_value(sliders[0].max).run()
    assert not app.exception
    assert live_image() != before


def test_generate_page_for_a_vae_orders_by_kl_and_shows_the_manifold():
    app = run_page("pages/explore/generate.py", model_name="digits-vae")
    assert not app.exception
    assert [t.label for t in app.tabs][-1] == "Manifold"
    assert any("highest KL first" in md.value for md in app.markdown)
    assert any(s.label.startswith("dimension") and "KL" in s.label for s in app.slider)
