"""Every page walked in Spanish (as it opens, after a choice or a button, during a training run)
shows no English text beyond names and units."""

import json
import re
import time
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from ae_core.models import MODELS

ROOT = Path(__file__).resolve().parents[1]
PAGES = re.findall(r'st\.Page\("([^"]+)"', (ROOT / "app.py").read_text())


def catalog():
    with open(ROOT / "ui/locales/es/LC_MESSAGES/messages.po", "rb") as f:
        return read_po(f)


# Keys of element protos that hold what a person reads (the rest are ids, data, styles).
TEXT_KEYS = {"body", "label", "help", "options", "caption", "captions", "placeholder", "text", "value", "title"}
# Plotly figure keys that are drawn on screen.
FIGURE_KEYS = {"text", "name", "hovertemplate", "label", "prefix", "ticktext"}
# Common English words that are not Spanish words.
ENGLISH = set(
    "the of and with is are this that your you from for on by it its be not to what which when "
    "than then there where how here only each".split()
)


# A count or a share written the English way ("1,000", "95%"): Spanish writes 1000, 10 000 and
# 95 % (ui.i18n.integer, ui.i18n.percent).
ENGLISH_COUNT = re.compile(r"(?<![\d.,])\d{1,3}(,\d{3})+(?![\d,])|\d%")


def _strings(value, keys, inside=False):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, keys, inside or key in keys)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, keys, inside)
    elif isinstance(value, str) and inside:
        yield value


def _figure_texts(spec: str):
    figure = json.loads(spec)
    if not isinstance(figure.get("data", []), list):  # a Vega-Lite chart (st.bar_chart): its titles
        yield from _strings(figure, {"title"})
        return
    # A trace hidden from the legend whose hover label drops its name never shows that name.
    traces = [t for t in figure.get("data", []) if not (t.get("showlegend") is False and t.get("name"))]
    for part in (figure.get("layout"), traces, figure.get("frames")):
        yield from _strings(part, FIGURE_KEYS)


def visible_texts(app: AppTest) -> list[str]:
    """Every label, text, help, option, caption, table header and chart word on the page."""
    texts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            tree = MessageToDict(proto)
            texts.extend(_strings(tree, TEXT_KEYS))
            chart = tree.get("plotlyChart") or (tree if "spec" in tree and "figure" not in tree else None)
            if chart and chart.get("spec"):
                texts.extend(_figure_texts(chart["spec"]))
            if "columns" in tree and isinstance(tree["columns"], str):  # a dataframe's column config
                texts.extend(_strings(json.loads(tree["columns"]), {"label"}))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app._tree)
    return [t for t in texts if t.strip()]


def english_leftovers(texts: list[str]) -> list[str]:
    po = catalog()
    english = {m.id for m in po if isinstance(m.id, str) and m.id and m.string != m.id}
    bad = []
    for text in texts:
        plain = re.sub(r"`[^`]*`|https?://\S+|:material/\w+:", " ", text)
        words = set(re.findall(r"[a-z]+", plain.lower()))
        if text in MODELS:  # the registry's names (the CLI's too) stay as they are
            continue
        if text in english or len(words & ENGLISH) >= 2 or ENGLISH_COUNT.search(plain):
            bad.append(text)
    return bad


def spanish_app(page: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.session_state["language"] = "es"
    if page != "pages/explore/overview.py":
        app.switch_page(page)
    return app.run()


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_spanish_shows_no_english(page, monkeypatch, tmp_path):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path))
    app = spanish_app(page)
    assert not app.exception, app.exception
    texts = visible_texts(app)
    assert len(texts) > 5
    assert not english_leftovers(texts), english_leftovers(texts)


def test_the_walk_would_catch_english():
    assert english_leftovers(["Training curve", "Samples the model thinks alike sit together."])
    assert english_leftovers(["Ajustada con las 1,000 puntuaciones mostradas"])
    assert english_leftovers(["marca el 5.0% de ellas"])
    assert not english_leftovers(["Ajustada con las 1000 puntuaciones", "forma (28, 28)", "10\u202f000 filas"])
    assert not english_leftovers(["Curva de entrenamiento", "digits-conv (conv, código 8, preentrenado)", "PCA"])


def _click(app, label):
    next(b for b in app.button if b.label == label).click().run()


# What a page shows only after a choice or a button: each walked again in Spanish.
INTERACTIONS = {
    "recommender-upload": (
        "pages/use/recommender.py",
        lambda app: app.selectbox(key="rec_source").set_value("upload").run(),
    ),
    "imputation-table": (
        "pages/use/imputation.py",
        lambda app: app.radio(key="imp_kind").set_value("table").run(),
    ),
    "compare-linear": (
        "pages/explore/compare.py",
        lambda app: _click(app, "Entrenar un autoencoder lineal con un código de 16 números"),
    ),
    "anomaly-manual": (
        "pages/use/anomaly.py",
        lambda app: app.selectbox(key="anomaly_strategy").set_value("manual").run(),
    ),
    "generate-slerp": (
        "pages/explore/generate.py",
        lambda app: app.segmented_control(key="interp_kind").set_value("slerp").run(),
    ),
    "train-sparse": ("pages/train/train.py", lambda app: app.selectbox(key="train_model").set_value("sparse").run()),
    "train-upload": ("pages/train/train.py", lambda app: app.selectbox(key="train_data").set_value("upload").run()),
    "noise-occlusion": (
        "pages/denoise/noise_lab.py",
        lambda app: app.selectbox(key="lab_kind").set_value("occlusion").run(),
    ),
    "photo-demo": ("pages/denoise/photo.py", lambda app: app.toggle(key="photo_demo").set_value(True).run()),
    "vae-map-raw": (
        "pages/explore/latent_map.py",
        lambda app: app.selectbox(key="map_method").set_value("raw").run(),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(INTERACTIONS))
def test_pages_after_a_choice_in_spanish_show_no_english(name, monkeypatch, tmp_path):
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path))
    monkeypatch.setenv("LATENT_LAB_HOME", str(tmp_path))
    page, act = INTERACTIONS[name]
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    app.session_state["language"] = "es"
    if name == "vae-map-raw":
        app.session_state["model_name"] = "digits-vae"
    app.switch_page(page)
    app.run()
    act(app)
    assert not app.exception, app.exception
    leftovers = english_leftovers(visible_texts(app))
    assert not leftovers, leftovers


@pytest.mark.slow
def test_a_training_run_reads_in_spanish(monkeypatch, tmp_path):
    """The live view of a run (progress, the finished line, the table of runs, its charts)."""

    monkeypatch.setenv("LATENT_LAB_HOME", str(tmp_path))
    monkeypatch.setenv("LATENT_LAB_CACHE", str(tmp_path))
    app = spanish_app("pages/train/train.py")
    app.number_input(key="train_epochs").set_value(2).run()
    _click(app, "Entrenar")
    deadline = time.time() + 180
    while time.time() < deadline and not any("Terminado" in s.value for s in app.success):
        time.sleep(2)
        app.run()
    assert any("Terminado tras 2 épocas" in s.value for s in app.success), [s.value for s in app.success]
    assert not app.exception
    leftovers = english_leftovers(visible_texts(app))
    assert not leftovers, leftovers
