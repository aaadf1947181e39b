"""Links that open the same view: the query string <-> this session's widget state.

``open_link`` runs before the page: when the query string is not the one this session last
wrote (a shared link was opened, or the back button went to an earlier view), its values are
put into the widgets' state. ``write_link`` runs after the page: the query string then names
what is on the screen. Parsing and checking live in ``ui.link_state``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import streamlit as st

from ui.i18n import _
from ui.link_state import NAMES, LinkState, link_params, parse_link, within

WRITTEN = "_link_written"
NOTE = "_link_note"
PAGE = "_link_page"
# Widget keys of each field, and the pages (URL paths) whose links carry it.
PAGE_FIELDS = {
    "latent_map": ("projection", "dims", "split", "points", "sample"),
    "generate": ("ends", "start"),
    "anomaly": ("rule", "value"),
}


def open_link(
    models: Collection[str], model_key: str, default_model: str, sizes: Callable[[str], tuple[int, int]]
) -> None:
    """Apply the query string to the widgets when it is new to this session.

    ``sizes(model)`` gives the (train, test) sizes of a model's data, to check sample numbers.
    """
    params = st.query_params.to_dict()
    if params == st.session_state.get(WRITTEN) or not params:
        return
    st.session_state[WRITTEN] = params
    problems = apply_view(params, models, model_key, default_model, sizes)
    if problems:
        st.session_state[NOTE] = problems


def apply_view(
    params: dict[str, str],
    models: Collection[str],
    model_key: str,
    default_model: str,
    sizes: Callable[[str], tuple[int, int]],
) -> list[str]:
    """Put the view that ``params`` (a link's query string) names into the widgets' state, before
    they are drawn; returns one reason for each value that was dropped."""
    state, problems = parse_link(params, models)
    model = state.model or st.session_state.get(model_key) or default_model
    try:
        state, more = within(state, *sizes(model))
        problems += more
    except (ValueError, OSError) as exc:
        state, problems = LinkState(model=state.model), [*problems, str(exc)]
    values = {
        model_key: state.model,
        "map_method": state.projection,
        "map_dims": state.dims,
        "map_split": state.split,
        "map_points": state.points,
        "traverse_index": state.start,
        "anomaly_strategy": state.rule,
    }
    if state.ends is not None:
        values["interp_a_index"], values["interp_b_index"] = state.ends
        values["interp_source"] = "sample numbers"
    if state.rule is not None and state.value is not None:
        values["anomaly_manual" if state.rule == "manual" else f"anomaly_value_{state.rule}"] = state.value
    if state.sample is not None:
        values["selected_samples"] = ("test", [state.sample])
        values["linked_sample"] = state.sample
    for key, value in values.items():
        if value is not None:
            st.session_state[key] = value
    return problems


def show_link_note() -> None:
    """The one-line note of a link that could not be opened exactly (shown once)."""
    problems = st.session_state.pop(NOTE, None)
    if problems:
        st.info(
            _(
                "This link could not be opened exactly ({problems}); the page shows its defaults there.",
                problems="; ".join(problems),
            ),
            icon=":material/link_off:",
        )


def write_link(page: str, model_key: str) -> None:
    """Name the view on the screen in the query string (only what this page shows).

    Not on the run that arrives at a page: Streamlit pushes a browser-history entry for every
    change of the query string, and one pushed on arrival would make the back button land on
    the same page again. The query string the browser carried over stands until a widget moves.
    """
    state = st.session_state
    if state.get(PAGE) != page:
        state[PAGE] = page
        state[WRITTEN] = st.query_params.to_dict()
        return
    params = view_params(page, model_key)
    # Parameters that are not the view's (the language) stay as they are.
    every_field = _query_names((*NAMES, "ends"))
    params = {**{k: v for k, v in st.query_params.to_dict().items() if k not in every_field}, **params}
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    state[WRITTEN] = params


def view_params(page: str, model_key: str) -> dict[str, str]:
    """The link parameters of the view on the screen: the model and what ``page`` shows."""
    state = st.session_state
    selected = state.get("selected_samples")
    full = LinkState(
        model=state.get(model_key),
        projection=state.get("map_method"),
        dims=state.get("map_dims"),
        split=state.get("map_split"),
        points=state.get("map_points"),
        sample=selected[1][0] if selected and selected[0] == "test" and len(selected[1]) == 1 else None,
        start=state.get("traverse_index"),
        ends=(state["interp_a_index"], state["interp_b_index"])
        if "interp_a_index" in state and "interp_b_index" in state
        else None,
        rule=state.get("anomaly_strategy"),
        value=_rule_value(state),
    )
    keep = ("model", *PAGE_FIELDS.get(page, ()))
    return {k: v for k, v in link_params(full).items() if k in _query_names(keep)}


def _rule_value(state) -> float | None:
    rule = state.get("anomaly_strategy")
    value = state.get("anomaly_manual" if rule == "manual" else f"anomaly_value_{rule}")
    return float(value) if isinstance(value, int | float) else None


def _query_names(fields: tuple[str, ...]) -> set[str]:
    return {n for f in fields for n in (("from", "to") if f == "ends" else (NAMES[f],))}
