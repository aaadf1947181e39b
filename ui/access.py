"""Who this browser is: an id for the models it trains or uploads, and whether it holds the
teacher code (``$LATENT_LAB_TEACHER_CODE``), which may rename and delete every saved model."""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from pathlib import Path

import streamlit as st

from ae_core.system.paths import upload_dir
from ui.i18n import _

OWNER_KEY = "owner"
TEACHER_KEY = "teacher"


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
    return bool(st.session_state.get(TEACHER_KEY)) and bool(teacher_code())


def teacher_code() -> str:
    return os.environ.get("LATENT_LAB_TEACHER_CODE", "")


def teacher_login() -> None:
    """A box for the teacher code, shown only when the server has one."""
    if not teacher_code():
        return
    if is_teacher():
        st.caption(_("Teacher code entered: you may rename and delete every saved model."))
        return
    with st.expander(_("Teacher")):
        code = st.text_input(_("Teacher code"), type="password", key="teacher_code_input")
        if code:
            if hmac.compare_digest(code.encode(), teacher_code().encode()):
                st.session_state[TEACHER_KEY] = True
                st.rerun()
            st.error(_("That is not the teacher code."))


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
