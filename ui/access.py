"""Who this browser is: an id for the models it trains or uploads, and whether it holds the
teacher code (``$LATENT_LAB_TEACHER_CODE``), which may rename and delete every saved model and
present to the class. A server started without a code makes one up and prints it once to its
log (scripts/serve.sh does so for all its workers, so they share it)."""

from __future__ import annotations

import hashlib
import math
import os
import sys
import threading
import uuid
from pathlib import Path

import streamlit as st

from ae_core.system.paths import upload_dir
from ui.code_guard import Backoff, matches, new_code
from ui.i18n import _

OWNER_KEY = "owner"
TEACHER_KEY = "teacher"
CODE_ENV = "LATENT_LAB_TEACHER_CODE"
CODE_INPUT = "teacher_code_input"
CODE_MESSAGE = "_teacher_code_message"
_made_up: list[str] = []
_made_up_lock = threading.Lock()


def browser_id() -> str:
    """This browser's owner id. Derived from Streamlit's per-browser XSRF cookie when there is
    one (so it survives a reload), otherwise random per session."""
    if OWNER_KEY not in st.session_state:
        st.session_state[OWNER_KEY] = _from_cookie() or uuid.uuid4().hex
    return st.session_state[OWNER_KEY]


def upload_folder() -> Path:
    """Where this browser's uploaded data is kept: its own folder, whose files only the models
    it uploads (and the teacher's) may name."""
    return upload_dir(browser_id())


def is_teacher() -> bool:
    return bool(st.session_state.get(TEACHER_KEY))


def teacher_code() -> str:
    """``$LATENT_LAB_TEACHER_CODE``, or one made up (and printed to the server's log) once per process."""
    code = os.environ.get(CODE_ENV, "")
    if code:
        return code
    with _made_up_lock:
        if not _made_up:
            _made_up.append(new_code())
            print(f"Latent Lab teacher code: {_made_up[0]} (set {CODE_ENV} to choose one)", file=sys.stderr, flush=True)
    return _made_up[0]


@st.cache_resource(show_spinner=False)
def _guards() -> tuple[Backoff, Backoff]:
    # Per browser, and per address with more leeway: a class behind one school NAT shares it.
    return Backoff(free=2, cap=300.0), Backoff(free=10, cap=60.0)


def _check_code() -> None:
    code = st.session_state.get(CODE_INPUT) or ""
    st.session_state[CODE_INPUT] = ""  # checked once, not again on every rerun
    if not code:
        return
    keys = (browser_id(), f"address:{st.context.ip_address or ''}")
    wait = max(guard.wait(key) for guard, key in zip(_guards(), keys, strict=True))
    if wait > 0:
        st.session_state[CODE_MESSAGE] = _("Too many wrong codes: try again in {seconds} s.", seconds=math.ceil(wait))
    elif matches(code, teacher_code()):
        st.session_state[TEACHER_KEY] = True
        for guard, key in zip(_guards(), keys, strict=True):
            guard.succeeded(key)
    else:
        for guard, key in zip(_guards(), keys, strict=True):
            guard.failed(key)
        st.session_state[CODE_MESSAGE] = _("That is not the teacher code.")


def teacher_login() -> None:
    """The box for the teacher code (in the sidebar); one line when a code was wrong."""
    with st.expander(_("Teacher")):
        st.text_input(_("Teacher code"), type="password", key=CODE_INPUT, on_change=_check_code)
        message = st.session_state.pop(CODE_MESSAGE, None)
        if message:
            st.error(message)


def _from_cookie() -> str | None:
    """The browser's XSRF token (Tornado's "2|mask|masked token|time" cookie), hashed."""
    try:
        value = st.context.cookies.get("_streamlit_xsrf") or ""
        _, mask, masked, _ = value.split("|")
        mask_bytes, token = bytes.fromhex(mask), bytes.fromhex(masked)
    except (AttributeError, ValueError, RuntimeError):
        return None
    raw = bytes(b ^ mask_bytes[i % len(mask_bytes)] for i, b in enumerate(token)) if mask_bytes else token
    return hashlib.sha256(b"latent-lab-owner:" + raw).hexdigest()
