"""Join in seconds: the class's address as a QR code (segno), with the language and the view in it.

The code is drawn as SVG that fills its box (sharp at any size, sent inline: no picture to fetch), and a
dialog shows it large enough to be read from the back of a projected room: a phone reads a
code from about ten times its width, so 60 cm on the wall reaches the sixth metre.
"""

from __future__ import annotations

import os
from urllib.parse import urlencode, urlsplit

import segno
import streamlit as st

from ui.i18n import _, current_language

URL_ENV = "LATENT_LAB_CLASS_URL"  # the address students use, when the teacher's own is not it
FOLLOW_PARAM = "follow"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
JOIN_KEY = "join_open"  # the "Join this class" box is open


def class_url(base: str, page: str, params: dict[str, str], language: str) -> str:
    """The address that opens ``page`` with ``params`` in ``language``, following the teacher."""
    query = urlencode({"lang": language, **params, FOLLOW_PARAM: "1"})
    return f"{base.rstrip('/')}/{page}?{query}"


@st.cache_data(show_spinner=False, max_entries=64)
def qr_svg(text: str) -> str:
    """``text`` as a QR code: SVG without a fixed size (it takes its box's width)."""
    code = segno.make(text, error="m", micro=False)
    return code.svg_inline(border=4, omitsize=True, dark="#000", light="#fff")


def base_url() -> str:
    """$LATENT_LAB_CLASS_URL, or the address this browser reached the app by."""
    configured = os.environ.get(URL_ENV, "")
    if configured:
        return configured
    parts = urlsplit(st.context.url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "http://localhost:8501"


def join_box(page: str, params: dict[str, str]) -> None:
    """The sidebar's "Join this class": the QR code of the view on the screen, and its address.

    Drawn only while the box is open (opening it reruns the app): its address box (``st.code``)
    makes the browser load and run Streamlit's syntax highlighter, 1.5 MB of script that held
    back every first page's pictures by a second or more (bench/first_page_timeline.py).
    """
    box = st.sidebar.expander(_("Join this class"), icon=":material/qr_code_2:", key=JOIN_KEY, on_change="rerun")
    if not box.open:
        return
    url = class_url(base_url(), page, params, current_language())
    with box:
        st.image(qr_svg(url), width="stretch")
        st.code(url, language=None, wrap_lines=True)
        if (urlsplit(url).hostname or "") in LOCAL_HOSTS:
            st.caption(
                _(
                    "This address only works on this computer: open the app by the address students use, "
                    "or set {variable} to it.",
                    variable=URL_ENV,
                )
            )
        if st.button(_("Show it large"), icon=":material/fullscreen:", key="join_large"):
            st.dialog(_("Join this class"), width="large")(_large)(url)


def _large(url: str) -> None:
    _, middle, _ = st.columns([1, 4, 1])
    middle.image(qr_svg(url), width="stretch")
    st.markdown(_("Scan the code, or open **{url}**", url=url))
