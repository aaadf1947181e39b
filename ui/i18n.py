"""Words a person reads: gettext catalogs in ``ui/locales/`` (extracted and compiled with Babel).

Every visible string goes through ``_()`` as a whole sentence with named placeholders:
``_("Flagged {count} of {total}", count=n, total=m)``; counts that change the words go through
``ngettext("{n} model", "{n} models", n)``; strings defined at import time are marked with ``N_()``
and translated where they are shown. The library and the CLI stay English.

Each browser session has its own language: the sidebar switch, else ``?lang=`` in the URL (a
shared link opens in the sender's language), else the browser's (``st.context.locale``). The
chosen language is written back to the URL. A language is available when its catalog exists
(``ui/locales/<code>/LC_MESSAGES/messages.mo``); ``scripts/i18n.sh`` builds the catalogs.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path

from babel import Locale

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"  # the source language: its words are the msgids, it needs no catalog
LANGUAGE_KEY = "language"  # the session-state key of the sidebar switch
URL_KEY = "lang"


def _available() -> dict[str, str]:
    codes = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return {code: Locale.parse(code).get_display_name(code).capitalize() for code in [DEFAULT_LANGUAGE, *codes]}


LANGUAGES = _available()  # code -> the language's name in itself ("en": "English", "es": "Español")


@cache
def translation(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (shared, read-only, by every session)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def supported(tag: str | None) -> str | None:
    """The available language of a tag like ``es-ES``, ``es_MX`` or ``ES``, or None."""
    if not tag:
        return None
    code = str(tag).replace("_", "-").split("-")[0].strip().lower()
    return code if code in LANGUAGES else None


def current_language() -> str:
    """This browser session's language."""
    import streamlit as st

    try:
        language = st.session_state.get(LANGUAGE_KEY)
    except Exception:  # no Streamlit session (bare mode, a script): the source language
        return DEFAULT_LANGUAGE
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def choose_language() -> str:
    """Settle this session's language before anything is drawn, and keep it in the URL.

    Called first by app.py on every run: the switch's value wins, then ``?lang=``, then the
    browser's language, then English.
    """
    import streamlit as st

    language = supported(st.session_state.get(LANGUAGE_KEY))
    if language is None:
        language = supported(st.query_params.get(URL_KEY)) or supported(st.context.locale) or DEFAULT_LANGUAGE
        st.session_state[LANGUAGE_KEY] = language
    if st.query_params.get(URL_KEY) != language:
        st.query_params[URL_KEY] = language
    return language


def language_switch() -> None:
    """The sidebar's language switch (each language written in itself)."""
    import streamlit as st

    st.sidebar.radio(
        _(":material/translate: Language"),
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key=LANGUAGE_KEY,
        horizontal=True,
    )


def css_text(words: str) -> str:
    """``words`` as a CSS string literal (its characters as they are: CSS reads ``\\u2026`` as "u2026")."""
    import json

    return json.dumps(words, ensure_ascii=False)


def streamlit_words() -> None:
    """Streamlit's own words that no API sets: the file uploader's button says "Upload" and the
    header's button that stops a run says "Stop" in every language. Style rules put this
    language's words over them (drawn once per run, take no space)."""
    import streamlit as st

    if current_language() == DEFAULT_LANGUAGE:
        return
    button = '[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p'
    stop = '[data-testid="stStatusWidget"] [data-testid="stBaseButton-header"]'
    upload, stop_word, stopping = (css_text(word) for word in (_("Upload"), _("Stop"), _("Stopping…")))
    st.html(
        f"<style>{button} {{ font-size: 0; }} "
        f"{button}::after {{ content: {upload}; font-size: 0.875rem; }} "
        f"{stop} {{ font-size: 0; }} "
        f"{stop}::after {{ content: {stop_word}; font-size: 0.875rem; }} "
        f"{stop}:disabled::after {{ content: {stopping}; }}</style>"
    )


def uploader_words(key: str, types: list[str] | None) -> None:
    """The line under a file uploader ("200MB per file • PNG, JPG"), which Streamlit writes in
    English, in this language: a style rule on the widget's key class (``st-key-KEY``) puts the
    limit and the accepted types over it, worded as Streamlit words them."""
    import streamlit as st

    if current_language() == DEFAULT_LANGUAGE:
        return
    names = {"JPEG": "JPG", "TIFF": "TIF"}
    kinds = dict.fromkeys(names.get(t.upper().lstrip("."), t.upper().lstrip(".")) for t in types or [])
    words = _("{size} MB per file", size=integer(st.get_option("server.maxUploadSize")))
    words += f" • {', '.join(kinds)}" if kinds else ""
    where = f'.st-key-{re.sub(r"[^a-zA-Z0-9_-]", "-", key)} [data-testid="stFileUploaderDropzoneInstructions"] span'
    st.html(
        f"<style>{where} {{ font-size: 0; }} {where}::after {{ content: {css_text(words)}; "
        "font-size: 0.875rem; }</style>"
    )


def _(message: str, **values: object) -> str:
    """``message`` in this session's language, with ``{name}`` placeholders filled from ``values``."""
    if not message:  # gettext("") is the catalog's header
        return message
    text = translation(current_language()).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """The singular or plural sentence for ``n`` (as the language's plural rule says); ``{n}`` is
    filled with ``n`` (written as :func:`integer` does) and the other placeholders from ``values``."""
    text = translation(current_language()).ngettext(singular, plural, n)
    return text.format(n=integer(n), **values)


def option_labels(words: Mapping | Iterable) -> Callable[[object], str]:
    """A widget's ``format_func``: each option's words (``{option: msgid}``, or options that are
    msgids themselves) translated now, while this session's script runs; Streamlit may call a
    format_func later, where the session and its language are unknown."""
    pairs = words.items() if isinstance(words, Mapping) else ((word, word) for word in words)
    table = {option: _(message) for option, message in pairs}
    return lambda option: table.get(option, str(option))


def N_(message: str) -> str:
    """Marks a string defined at import time for the catalog; translate it with ``_()`` when shown."""
    return message


def integer(n: int) -> str:
    """A count as this language writes it: 1,438 and 10,000 in English; in Spanish 1438 and
    10 000 (RAE: no separator in four digits, a thin space from five, since "," and "." both
    mark decimals in Spanish-speaking countries)."""
    n = int(n)
    if current_language() == DEFAULT_LANGUAGE:
        return f"{n:,}"
    return str(n) if abs(n) < 10_000 else f"{n:,}".replace(",", "\u202f")


def percent(share: float, digits: int = 1) -> str:
    """A share as a percentage this language's way: 5.0% in English; 5.0 % in Spanish (RAE: a
    space, here a non-breaking one, between the number and the sign)."""
    text = f"{share:.{digits}%}"
    return text if current_language() == DEFAULT_LANGUAGE else text[:-1] + "\u00a0%"
