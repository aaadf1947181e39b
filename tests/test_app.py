"""Every page runs on the default model without an exception, and its widgets change the view."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ae_core.zoo import DEFAULT_MODEL, PRETRAINED_DIR, list_models

ROOT = Path(__file__).resolve().parents[1]


def run_page(page: str, **state) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in state.items():
        app.session_state[key] = value
    app.switch_page(page) if page != "pages/overview.py" else None
    return app.run()


def test_the_default_model_ships_with_the_app():
    names = [entry.name for entry in list_models(PRETRAINED_DIR)]
    assert DEFAULT_MODEL in names


def test_overview_shows_reconstructions_of_the_default_model():
    app = run_page("pages/overview.py")
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
    app = run_page("pages/overview.py", model_name=name)
    assert not app.exception
    assert app.sidebar.selectbox[0].value == name
