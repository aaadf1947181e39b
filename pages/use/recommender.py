"""Recommender: the course's ratings autoencoder (AutoRec) against the obvious baselines."""

import streamlit as st

from ae_core.apps.recommender import (
    Recommender,
    index_ratings,
    movielens_100k,
    movielens_archive,
    read_ratings,
    split_ratings,
    synthetic_ratings,
)
from ae_core.data.item_titles import movielens_titles, synthetic_titles, with_titles
from ui.i18n import N_, _, integer, option_labels
from ui.shared import shared_drawing

st.title(_("Recommender"))
st.markdown(
    _(
        "Each movie is a long vector of its ratings by every user, mostly missing. An autoencoder trained to "
        "rebuild only the **known** ratings (the loss ignores the missing ones) fills in the rest: those are its "
        "predictions (item-based AutoRec). It is scored by RMSE on ratings it never saw, beside predicting the "
        "global, the user's or the movie's mean rating."
    )
)


def fit_recommender(train, epochs: int, progress) -> Recommender:
    """The ratings autoencoder on ``train``, reporting each epoch to ``progress``."""
    return Recommender(epochs=epochs, threads=1, on_epoch=progress).fit(train).set_params(on_epoch=None)


SOURCES = {
    "synthetic": N_("synthetic demo ratings (offline, trains in seconds)"),
    "movielens": N_("MovieLens 100k, u1 split (downloaded once)"),
    "upload": N_("your ratings file (u.data, ratings.csv or ratings.dat)"),
}
source = st.selectbox(_("Ratings"), list(SOURCES), format_func=option_labels(SOURCES), key="rec_source")
titles = None
try:
    if source == "synthetic":
        train_frame, test_frame = split_ratings(synthetic_ratings(), 0.2, seed=0)
        titles = synthetic_titles()
    elif source == "movielens":
        if (
            not st.button(_("Download MovieLens 100k (5 MB) and load u1"), key="rec_download")
            and "rec_ml" not in st.session_state
        ):
            st.stop()
        with st.spinner(_("Downloading MovieLens 100k…")):
            st.session_state["rec_ml"] = st.session_state.get("rec_ml") or movielens_100k()
        train_frame, test_frame = st.session_state["rec_ml"]
        titles = movielens_titles(movielens_archive())
    else:
        left, right = st.columns(2)
        train_file = left.file_uploader(_("Training ratings"), key="rec_train_file")
        test_file = right.file_uploader(_("Test ratings (optional: else 20% are held out)"), key="rec_test_file")
        if train_file is None:
            st.stop()
        train_frame = read_ratings(train_file.getvalue(), train_file.name)
        if test_file is not None:
            test_frame = read_ratings(test_file.getvalue(), test_file.name)
        else:
            train_frame, test_frame = split_ratings(train_frame, 0.2, seed=0)
    train = index_ratings(train_frame)
    test = index_ratings(test_frame, like=train)
    if len(test) == 0:
        raise ValueError(_("No test rating is by a known user of a known item: upload more ratings."))
except ValueError as exc:
    st.error(_("These ratings cannot be used: {error}", error=exc))
    st.stop()

st.caption(
    _(
        "{train} training ratings by {users} users of {items} items; {test} test ratings.",
        train=integer(len(train)),
        users=integer(train.n_users),
        items=integer(train.n_items),
        test=integer(len(test)),
    )
)
epochs = st.slider(_("Training epochs"), 10, 200, 60, key="rec_epochs")
slot = st.empty()


def show_progress(e) -> None:
    slot.progress(e.epoch / e.epochs, text=_("Training… epoch {epoch}/{epochs}", epoch=e.epoch, epochs=e.epochs))


if source != "upload":
    # The same ratings for every student: trained once per server, on the first visit, and
    # shown at once to everyone after (no button to press).
    model = shared_drawing(
        (source, len(train), float(train.ratings.sum()), epochs), fit_recommender, train, epochs, show_progress
    )
else:
    key = (len(train), len(test), float(train.ratings.sum()), epochs)
    if st.session_state.get("rec_key") != key:
        if not st.button(_("Train the ratings autoencoder"), type="primary", icon=":material/play_arrow:"):
            st.stop()
        try:
            st.session_state["rec_model"] = fit_recommender(train, epochs, show_progress)
        except ValueError as exc:
            st.error(_("These ratings cannot be used: {error}", error=exc))
            st.stop()
        st.session_state["rec_key"] = key
    model = st.session_state["rec_model"]
slot.empty()

st.subheader(_("Test RMSE (lower is better)"))
rmse = model.rmse(test)
columns = st.columns(4)
for column, (method, label) in zip(
    columns,
    [
        ("autorec", _("autoencoder")),
        ("global", _("global mean")),
        ("user", _("user mean")),
        ("item", _("item mean")),
    ],
):
    column.metric(label, f"{rmse[method]:.3f}")

st.subheader(_("One user"))
user_id = st.selectbox(_("User"), train.user_ids, key="rec_user")
user = int(list(train.user_ids).index(user_id))
known = model.known(user)
columns_config = {"item": _("item"), "rating": _("rating"), "predicted": _("predicted")}
left, right = st.columns(2)
# Ratings and predictions with the same two decimals everywhere.
numbers = {
    "rating": st.column_config.NumberColumn(_("rating"), format="%.0f"),
    "predicted": st.column_config.NumberColumn(_("predicted"), format="%.2f"),
    "item": st.column_config.NumberColumn(_("item"), format="%d"),
    "title": st.column_config.TextColumn(_("title")),
}
with left:
    st.markdown(_("**Known ratings** ({count}) and what the model makes of them", count=integer(len(known))))
    st.dataframe(with_titles(known, titles), hide_index=True, height=320, column_config=numbers)
with right:
    st.markdown(_("**Top 10 recommendations** (unrated items, highest predicted rating)"))
    st.dataframe(with_titles(model.recommend(user, 10), titles), hide_index=True, height=320, column_config=numbers)
