"""Recommender: the course's ratings autoencoder (AutoRec) against the obvious baselines."""

import streamlit as st

from ae_core.apps.rating_uploads import store_rating_files
from ae_core.apps.ratings import movielens_archive
from ae_core.apps.recommender_training import RecommenderRequest, load_recommender
from ae_core.data.item_titles import movielens_titles, synthetic_titles, with_titles
from ui.access import upload_folder
from ui.i18n import N_, _, integer, option_labels
from ui.jobs import wait_for_run
from ui.shared import shared
from ui.state import training_queue
from ui.widgets import file_uploader

st.title(_("Recommender"))
st.markdown(
    _(
        "Each movie is a long vector of its ratings by every user, mostly missing. An autoencoder trained to "
        "rebuild only the **known** ratings (the loss ignores the missing ones) fills in the rest: those are its "
        "predictions (item-based AutoRec). It is scored by RMSE on ratings it never saw, beside predicting the "
        "global, the user's or the movie's mean rating."
    )
)

SOURCES = {
    "synthetic": N_("synthetic demo ratings (offline, trains in seconds)"),
    "movielens": N_("MovieLens 100k, u1 split (downloaded once)"),
    "upload": N_("your ratings file (u.data, ratings.csv or ratings.dat)"),
}
DEFAULT_EPOCHS = RecommenderRequest("synthetic").epochs
source = st.selectbox(_("Ratings"), list(SOURCES), format_func=option_labels(SOURCES), key="rec_source")
titles, upload = None, {}
try:
    if source == "movielens":
        if not movielens_archive().is_file() and not st.button(
            _("Download MovieLens 100k (5 MB) and load u1"), key="rec_download"
        ):
            st.stop()
        titles = "movielens"
    elif source == "upload":
        left, right = st.columns(2)
        train_file = file_uploader(_("Training ratings"), "rec_train_file", where=left)
        test_file = file_uploader(_("Test ratings (optional: else 20% are held out)"), "rec_test_file", where=right)
        if train_file is None:
            st.stop()
        # Checked (every budget) and kept under names made from their content, once per upload.
        files = (train_file.file_id, test_file and test_file.file_id)
        if st.session_state.get("rec_stored", (None, None))[0] != files:
            test = None if test_file is None else (test_file.getvalue(), test_file.name)
            names = store_rating_files(upload_folder(), (train_file.getvalue(), train_file.name), test)
            st.session_state["rec_stored"] = (files, names)
        train_name, test_name = st.session_state["rec_stored"][1]
        upload = {"uploader": upload_folder().name, "train_file": train_name, "test_file": test_name}
    else:
        titles = "synthetic"
    data = RecommenderRequest(source, **upload)
    with st.spinner(_("Downloading MovieLens 100k…") if source == "movielens" else _("Reading the ratings…")):
        train, test = shared((source, *upload.values()), data.ratings)
    if titles == "movielens":
        titles = movielens_titles(movielens_archive())
    elif titles == "synthetic":
        titles = synthetic_titles()
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
epochs = st.slider(_("Training epochs"), 10, 200, DEFAULT_EPOCHS, key="rec_epochs")
request = RecommenderRequest(source, epochs=epochs, **upload)
folder = request.folder()
try:  # shipped trained (the demo), or trained once for the deployment (an upload: for its browser) by the queue
    model = None
    for place in filter(None, (request.shipped_folder(), folder)):
        saved = place / "config.json"
        if model is None and saved.is_file():
            model = shared((str(place), saved.stat().st_mtime_ns), load_recommender, request, train, place)
except ValueError as exc:
    st.error(_("These ratings cannot be used: {error}", error=exc))
    st.stop()

if model is None:  # the demo's first view queues it by itself: a second visitor waits for the same run
    wait_for_run(
        training_queue(),
        request,
        folder,
        key="rec_job",
        start=_("Train the ratings autoencoder"),
        start_now=source != "upload" and epochs == DEFAULT_EPOCHS,
    )

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
