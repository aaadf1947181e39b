"""Nothing falls through: every string the code shows has a fresh Spanish catalog entry, no
literal words reach Streamlit unwrapped, and each browser session keeps its own language."""

import ast
import gettext
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

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
    # Streamlit's own button words (the uploader's "Upload", the header's "Stop") are put over by style rules
    styles = " ".join(element.proto.body for element in app.get("html"))
    assert '"Subir"' in styles and '"Detener"' in styles
    assert '"Deteniendo…"' in styles  # as it is: CSS would read a JSON escape "\\u2026" as "u2026"


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

    from scripts.streamlit_server import launch_chromium, start_streamlit

    proc, url = start_streamlit(str(tmp_path))
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
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
            # Streamlit writes the uploader's limits in English; what the Spanish student reads:
            shared.get_by_role("link", name="Fotos sin ruido").click()
            limits = shared.locator("[data-testid=stFileUploaderDropzoneInstructions] span").first
            limits.wait_for(timeout=60_000)
            shown = limits.evaluate(
                "e => [getComputedStyle(e).fontSize, getComputedStyle(e, '::after').content, "
                "getComputedStyle(e, '::after').fontSize]"
            )
            assert shown == ["0px", '"200 MB por archivo • PNG, JPG, WEBP, BMP, GIF, TIF"', "14px"], shown
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize(
    "language, count, big, share", [("en", "1,000", "10,000", "5.0%"), ("es", "1000", "10\u202f000", "5.0\u00a0%")]
)
def test_counts_and_shares_are_written_the_language_s_way(monkeypatch, language, count, big, share):
    import ui.i18n as i18n

    monkeypatch.setattr(i18n, "current_language", lambda: language)
    assert (i18n.integer(1000), i18n.integer(10_000), i18n.percent(0.05)) == (count, big, share)
    assert i18n.percent(0.5, 0) == share.replace("5.0", "50")
