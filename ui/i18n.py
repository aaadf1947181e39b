"""Words a person reads: gettext catalogs in ``ui/locales/`` (extracted and compiled with Babel).

Every visible string goes through ``_()`` as a whole sentence with named placeholders:
``_("Flagged {count} of {total}", count=n, total=m)``. The library and the CLI stay English.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"


@cache
def translation(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (English, the source language, needs none)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def current_language() -> str:
    """This browser session's language."""
    import streamlit as st

    language = st.session_state.get("language", DEFAULT_LANGUAGE)
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def _(message: str, **values: object) -> str:
    """``message`` in this session's language, with ``{name}`` placeholders filled from ``values``."""
    text = translation(current_language()).gettext(message)
    return text.format(**values) if values else text
