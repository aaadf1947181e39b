"""Nothing falls through: every string the code shows has a Spanish catalog entry, every page
walked in Spanish shows no English sentence, and each browser session keeps its own language."""

import ast
import gettext
import json
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from ae_core.models import MODELS
from ui.i18n import LANGUAGES, supported

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "ui/locales/es/LC_MESSAGES/messages"
PAGES = re.findall(r'st\.Page\("([^"]+)"', (ROOT / "app.py").read_text())


def extracted() -> set:
    """The msgids Babel finds in the code today, with babel.cfg (as scripts/i18n.sh runs it)."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    return {message for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map)}


def catalog():
    with open(CATALOG.with_suffix(".po"), "rb") as f:
        return read_po(f)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_string_in_the_code_has_a_spanish_entry_and_no_entry_is_stale():
    code = extracted()
    po = catalog()
    entries = {m.id for m in po if m.id}
    assert len(code) > 400
    assert not code - entries, f"not in es/messages.po (run scripts/i18n.sh): {sorted(map(str, code - entries))}"
    assert not entries - code, f"stale entries in es/messages.po: {sorted(map(str, entries - code))}"
    assert not po.obsolete, f"obsolete entries: {list(po.obsolete)}"
    for message in po:
        if not message.id:
            continue
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), f"untranslated: {message.id!r}"
        wanted = fields(message.id[-1] if isinstance(message.id, tuple) else message.id)
        for form in forms:
            assert fields(form) == wanted, f"placeholders differ: {message.id!r} -> {form!r}"


# Streamlit calls whose first argument (or these keywords) a person reads.
SHOWN = {
    "title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "toast",
    "button", "download_button", "selectbox", "multiselect", "radio", "slider", "number_input", "text_input",
    "checkbox", "toggle", "file_uploader", "metric", "expander", "spinner", "progress", "status", "tabs",
    "segmented_control", "write", "image", "bar_chart", "flash",
}  # fmt: skip
SHOWN_KEYWORDS = {"help", "caption", "text", "label", "placeholder", "title", "x_label", "y_label", "delta"}


def _unwrapped(path: Path):
    """Literal words handed to Streamlit without ``_()``, and ``_()`` calls Babel cannot read."""
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in ("_", "N_", "ngettext") and node.args and isinstance(node.args[0], ast.JoinedStr):
            yield node.lineno, "an f-string as the message"
        if name not in SHOWN:
            continue
        shown = node.args[:1] + [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS]
        for arg in shown:
            literal = (
                isinstance(arg, ast.Constant) and isinstance(arg.value, str) and re.search("[A-Za-z]{2}", arg.value)
            )
            if literal or isinstance(arg, ast.JoinedStr):
                yield arg.lineno, ast.unparse(arg)[:80]


def test_no_literal_words_reach_streamlit_unwrapped():
    files = [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
    found = [f"{path.relative_to(ROOT)}:{line}: {text}" for path in files for line, text in _unwrapped(path)]
    allowed = {"app.py"}  # st.sidebar.title("Latent Lab"): the app's name
    found = [f for f in found if not (f.split(":")[0] in allowed and "Latent Lab" in f)]
    assert not found, "\n".join(found)


def test_the_compiled_catalog_matches_the_po_file():
    po = catalog()
    with open(CATALOG.with_suffix(".mo"), "rb") as f:
        mo = read_mo(f)

    def same(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    def pairs(messages):
        return {same(m.id): same(m.string) for m in messages if m.id}

    assert pairs(po) == pairs(mo), "run scripts/i18n.sh"


def test_a_language_is_a_catalog_file():
    assert LANGUAGES["en"] == "English" and LANGUAGES["es"] == "Español"
    assert set(LANGUAGES) == {"en"} | {p.parent.parent.name for p in (ROOT / "ui/locales").glob("*/LC_MESSAGES/*.mo")}
    assert supported("es-ES") == supported("es_MX") == supported("ES") == "es"
    assert supported("en-GB") == "en" and supported("fr-FR") is None and supported(None) is None


# --- walking the pages ---------------------------------------------------------------------

# Keys of element protos that hold what a person reads (the rest are ids, data, styles).
TEXT_KEYS = {"body", "label", "help", "options", "caption", "captions", "placeholder", "text", "value", "title"}
# Plotly figure keys that are drawn on screen.
FIGURE_KEYS = {"text", "name", "hovertemplate", "label", "prefix"}
# Common English words that are not Spanish words.
ENGLISH = set(
    "the of and with is are this that your you from for on by it its be not to what which when "
    "than then there where how here only each".split()
)


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
        if text in english or len(words & ENGLISH) >= 2:
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
    assert not english_leftovers(["Curva de entrenamiento", "digits-conv (conv, código 8, preentrenado)", "PCA"])


# --- choosing the language -----------------------------------------------------------------


def overview(**query) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in query.items():
        app.query_params[key] = value
    return app.run()


def test_english_by_default_and_the_language_goes_into_the_url():
    app = overview()
    assert app.title[0].value == "Overview"
    assert app.query_params["lang"] == ["en"] or app.query_params["lang"] == "en"


def test_a_shared_link_opens_in_its_language():
    app = overview(lang="es")
    assert not app.exception
    assert app.title[0].value == "Resumen"
    assert app.sidebar.radio(key="language").value == "es"


def test_an_unknown_language_in_the_url_falls_back_to_english():
    assert overview(lang="xx").title[0].value == "Overview"


def test_the_sidebar_switch_changes_the_language_and_the_url():
    app = overview()
    app.sidebar.radio(key="language").set_value("es").run()
    assert app.title[0].value == "Resumen"
    assert "Idioma" in app.sidebar.radio(key="language").label
    lang = app.query_params["lang"]
    assert lang in ("es", ["es"])
    app.sidebar.radio(key="language").set_value("en").run()
    assert app.title[0].value == "Overview"


def test_switching_the_language_keeps_what_the_user_chose():
    app = overview()
    app.slider(key="overview_count").set_value(20).run()
    app.sidebar.selectbox(key="model_name").set_value("digits-deep").run()
    app.sidebar.radio(key="language").set_value("es").run()
    assert app.title[0].value == "Resumen"
    assert app.slider(key="overview_count").value == 20
    assert app.sidebar.selectbox(key="model_name").value == "digits-deep"


def test_two_sessions_keep_two_languages():
    spanish, english = overview(lang="es"), overview()
    spanish.run()
    english.run()
    assert spanish.title[0].value == "Resumen" and english.title[0].value == "Overview"


def test_plural_sentences_follow_the_count():
    catalog_es = gettext.translation("messages", ROOT / "ui/locales", languages=["es"])
    one = catalog_es.ngettext("{n} selected sample", "{n} selected samples", 1)
    many = catalog_es.ngettext("{n} selected sample", "{n} selected samples", 3)
    assert one == "{n} muestra seleccionada" and many == "{n} muestras seleccionadas"


@pytest.mark.browser
@pytest.mark.slow
def test_a_browser_opens_in_its_own_language_and_keeps_it_in_the_url(tmp_path):
    """Two browsers on one server: one set to Spanish, one to English; the switch changes one only."""
    from playwright.sync_api import sync_playwright

    from scripts.streamlit_server import start_streamlit

    proc, url = start_streamlit(str(tmp_path))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            spanish = browser.new_context(locale="es-ES").new_page()
            english = browser.new_context(locale="en-US").new_page()
            english.goto(url)
            english.get_by_role("heading", name="Overview").wait_for(timeout=120_000)
            spanish.goto(url)
            spanish.get_by_role("heading", name="Resumen").wait_for(timeout=60_000)
            spanish.wait_for_url("**lang=es**", timeout=30_000)
            assert spanish.get_by_role("link", name="Mapa latente").count() == 1  # the navigation too

            shared = browser.new_context(locale="en-US").new_page()  # a link sent by the Spanish student
            shared.goto(spanish.url)
            shared.get_by_role("heading", name="Resumen").wait_for(timeout=60_000)

            spanish.get_by_text("English", exact=True).click()
            spanish.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
            spanish.wait_for_url("**lang=en**", timeout=30_000)
            english.reload()
            english.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
            shared.get_by_role("link", name="Mapa latente").click()
            shared.get_by_role("heading", name="Mapa latente").wait_for(timeout=60_000)
            shared.wait_for_url("**lang=es**", timeout=30_000)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _click(app, label):
    next(b for b in app.button if b.label == label).click().run()


# What a page shows only after a choice or a button: each walked again in Spanish.
INTERACTIONS = {
    "recommender": ("pages/use/recommender.py", lambda app: _click(app, "Entrenar el autoencoder de valoraciones")),
    "imputation-table": (
        "pages/use/imputation.py",
        lambda app: app.radio(key="imp_kind").set_value("a table: hide random values").run(),
    ),
    "compare-linear": (
        "pages/explore/compare.py",
        lambda app: _click(app, "Entrenar un autoencoder lineal con un código de 8 números"),
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
    import time

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
