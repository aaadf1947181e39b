"""Present and follow: the teacher's view, published for every student who follows it.

The teacher (who entered the teacher code) turns on **Present**: after each run, the view on
their screen (its page and the link parameters of ``ui.links.view_params``) is written to the
class's shared store when it changed. A student who turns on **Follow the teacher** runs a
small fragment every half second that reads the store's one record; only when its version
changed does the app rerun, switch to the teacher's page and put the teacher's values into the
widgets (checked as a shared link's are). A follower may move any widget, stop following, and
rejoin; when the teacher stops presenting or leaves, the last view stays, with a note.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping

import streamlit as st

from ae_core.system.paths import home_dir
from ui.access import is_teacher, teacher_login
from ui.classroom_store import REDIS_ENV, ClassStore, ClassView, open_store
from ui.i18n import LANGUAGE_KEY, _, current_language
from ui.join import FOLLOW_PARAM, join_box
from ui.widgets import LARGE_KEY

PRESENT_KEY = "present"
FOLLOW_KEY = "follow_teacher"
APPLIED = "_follow_version"  # the version of the teacher's view this session last opened
PENDING = "_follow_pending"  # a view to open on the next run, before any widget is drawn
PUBLISHED = "_present_published"  # what this teacher's session last wrote
NOTE = "_follow_note"
KEPT = (FOLLOW_KEY, LANGUAGE_KEY, LARGE_KEY)  # this browser's own choices, kept when the teacher's page opens
POLL_SECONDS = 0.5
BEAT_SECONDS = 10.0
GONE_SECONDS = 45.0  # no sign of the presenting browser for this long: the teacher has left


def store() -> ClassStore:
    return _store_for(os.environ.get(REDIS_ENV) or None, str(home_dir()))


@functools.lru_cache(maxsize=8)  # asked for by every poll: a plain memo costs a tenth of st.cache_resource's call
def _store_for(redis_url: str | None, home: str) -> ClassStore:
    return open_store(home, redis_url)


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY)) and is_teacher()


def following() -> bool:
    return bool(st.session_state.get(FOLLOW_KEY)) and not presenting()


def open_pending(apply: Callable[[dict[str, str]], list[str]]) -> None:
    """Open the teacher's view the poll found (called before the sidebar draws its widgets)."""
    view, kept = st.session_state.pop(PENDING, (None, {}))
    st.session_state.update(kept)
    if view is None or not following():
        return
    problems = apply(view.params)
    if problems:
        st.session_state[NOTE] = problems


def class_sidebar(page: str, pages: Mapping[str, st.Page], params: dict[str, str]) -> None:
    """The sidebar's Present (the teacher) or Follow the teacher (everyone else), the teacher
    code, and the QR code to join."""
    state = st.session_state
    with st.sidebar:
        if is_teacher():
            st.toggle(
                _("Present"),
                key=PRESENT_KEY,
                on_change=_present_changed,
                help=_("Everyone who follows the teacher sees this screen's page, model and settings."),
            )
            if presenting():
                _heartbeat()
        if not presenting():
            if FOLLOW_KEY not in state and st.query_params.get(FOLLOW_PARAM) == "1":
                state[FOLLOW_KEY] = True  # the class's QR code asks for it
            st.toggle(
                _("Follow the teacher"),
                key=FOLLOW_KEY,
                on_change=_follow_changed,
                help=_("Your screen shows what the teacher shows. Turn it off to explore on your own."),
            )
            if state.get(FOLLOW_KEY):
                _poll(page, pages)
        if is_teacher():
            st.caption(_("Teacher code entered: you may present, and rename and delete every saved model."))
        else:
            teacher_login()
    join_box(page, params)


def publish(page: str, params: dict[str, str]) -> None:
    """After the teacher's run: write the view on their screen, if presenting and it changed."""
    if not presenting() or st.session_state.get(PUBLISHED) == (page, params):
        return
    try:
        store().publish(page, params)
    except (OSError, ValueError) as exc:
        st.session_state[NOTE] = [str(exc)]
        return
    st.session_state[PUBLISHED] = (page, params)


def show_follow_note() -> None:
    """One line when the teacher's view could not be opened exactly (shown once)."""
    problems = st.session_state.pop(NOTE, None)
    if problems:
        st.info(
            _("The teacher's view could not be opened exactly ({problems}).", problems="; ".join(problems)),
            icon=":material/sync_problem:",
        )


def _present_changed() -> None:
    st.session_state.pop(PUBLISHED, None)
    if not st.session_state.get(PRESENT_KEY):
        try:
            store().stop()
        except OSError as exc:
            st.session_state[NOTE] = [str(exc)]


def _follow_changed() -> None:
    st.session_state.pop(APPLIED, None)  # (re)joining opens the teacher's view at once


@st.fragment(run_every=BEAT_SECONDS)
def _heartbeat() -> None:
    try:
        store().beat()
    except OSError:
        pass  # the next publish says so


@st.fragment(run_every=POLL_SECONDS)
def _poll(page: str, pages: Mapping[str, st.Page]) -> None:
    """Every half second: one read of the store; a rerun only when the teacher's view changed."""
    try:
        view = store().read()
    except (OSError, ValueError) as exc:
        st.caption(_("The teacher's view cannot be read ({error}); you keep yours.", error=exc))
        return
    if view is None or (not view.presenting and APPLIED not in st.session_state):
        st.caption(_("The teacher is not presenting yet: your screen follows when they start."))
        return
    if not view.presenting:
        st.caption(_("The teacher stopped presenting: you keep the last view."))
        return
    if view.version != st.session_state.get(APPLIED):
        _open(view, page, pages)
    if time.time() - view.beat > GONE_SECONDS:
        st.caption(_("The teacher's screen is not answering: you keep the last view."))
    else:
        st.caption(_("Following the teacher."))


def _open(view: ClassView, page: str, pages: Mapping[str, st.Page]) -> None:
    st.session_state[APPLIED] = view.version
    if view.page not in pages:
        st.session_state[NOTE] = [f"there is no page {view.page[:64]!r}"]
        st.rerun()
    # A page switched to by the server forgets the sidebar's widgets (the browser sends no
    # widget states with it): they are put back before they are drawn again.
    kept = {key: st.session_state[key] for key in KEPT if key in st.session_state}
    st.session_state[PENDING] = (view, kept)
    if view.page != page:
        st.switch_page(pages[view.page], query_params={"lang": current_language()})
    st.rerun()
