"""The course's applications on data where the right answer is known."""

import hashlib
import http.server
import io
import json
import threading
import tracemalloc
import zipfile
from functools import partial

import numpy as np
import pandas as pd
import pytest

from ae_core.apps import recommender
from ae_core.apps.code_space import (
    CodeBinarizer,
    cluster_scores,
    hamming_neighbours,
    knn_accuracy,
    precision_at_k,
    random_bits,
)
from ae_core.apps.few_labels import labelled_subset
from ae_core.apps.imputation import AutoencoderImputer, hide_box, hide_values, imputation_error, impute
from ae_core.apps.recommender import (
    Recommender,
    index_ratings,
    movielens_100k,
    read_ratings,
    split_ratings,
    synthetic_ratings,
)
from ae_core.cli import main
from ae_core.models import build_model
from ae_core.train.loop import fit


@pytest.fixture(scope="module")
def ratings():
    frame = synthetic_ratings(seed=0)
    train_frame, test_frame = split_ratings(frame, 0.2, seed=0)
    train = index_ratings(train_frame)
    return train_frame, train, index_ratings(test_frame, like=train)


@pytest.mark.slow
def test_autorec_beats_every_mean_baseline_on_low_rank_ratings(ratings):
    _, train, test = ratings
    model = Recommender(threads=1).fit(train)
    rmse = model.rmse(test)
    assert rmse["autorec"] < 0.9 * min(rmse["global"], rmse["user"], rmse["item"]), rmse
    top = model.recommend(0, 5)
    rated = set(train.item_ids[train.items[train.users == 0]])
    assert len(top) == 5 and not rated & set(top["item"])
    assert (model.known(0)["rating"].diff().dropna() <= 0).all()


def test_recommender_ratings_are_kept_sparse_and_served_dense_per_batch():
    train = index_ratings(read_ratings(b"1\t1\t5\n1\t1\t4\n2\t2\t0\n3\t1\t2\n", "u.data"))
    rows = train.rows()  # items x users; the repeated (1, 1) keeps its last rating, a 0 stays a rating
    assert rows.nnz == 3 and rows.shape == (2, 3)
    assert np.array_equal(rows[0:2].numpy(), [[4, np.nan, 2], [np.nan, 0, np.nan]], equal_nan=True)


def test_recommender_budgets_count_ratings_and_the_model_not_a_dense_matrix(monkeypatch):
    frame = read_ratings(b"1\t1\t5\n2\t2\t3\n3\t3\t4\n", "u.data")
    monkeypatch.setenv("LATENT_LAB_LIMIT_RATINGS", "2")
    with pytest.raises(ValueError, match="the file holds 3 ratings; the limit is 2 ratings"):
        index_ratings(frame)
    monkeypatch.delenv("LATENT_LAB_LIMIT_RATINGS")
    monkeypatch.setenv("LATENT_LAB_LIMIT_PARAMETERS", "100")
    with pytest.raises(ValueError, match="a code of 500 for 3 users makes a model of 3,503 parameters"):
        Recommender(threads=1).fit(index_ratings(frame))


def test_recommender_memory_grows_with_the_ratings_not_users_times_items(monkeypatch):
    """30,000 users x 1,000 items would be a 120 MB dense matrix; 30,000 ratings stay small."""
    monkeypatch.setattr(recommender, "PREDICTION_BYTES", 8e6)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"user": np.arange(30_000), "item": rng.integers(0, 1_000, 30_000), "rating": rng.integers(1, 6, 30_000)}
    )
    train = index_ratings(frame.astype({"rating": np.float32}))
    Recommender(hidden=2, epochs=1, threads=1).fit(index_ratings(frame[:50]))  # torch's lazy imports, untraced
    tracemalloc.start()
    model = Recommender(hidden=4, epochs=1, threads=1).fit(train)
    top = model.recommend(0, 3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 45e6, f"{peak / 1e6:.0f} MB traced"  # two validation batches of 128 items: 31 MB
    assert len(top) == 3 and top["predicted"].between(1, 5).all()
    assert model.predict(train.users[:5], train.items[:5]).shape == (5,)


def test_ratings_files_in_every_movielens_format():
    rows = [(1, 10, 4.0), (1, 20, 3.0), (2, 10, 5.0)]
    u_data = "".join(f"{u}\t{i}\t{r:g}\t881250949\n" for u, i, r in rows).encode()
    csv = ("userId,movieId,rating,timestamp\n" + "".join(f"{u},{i},{r},1\n" for u, i, r in rows)).encode()
    dat = "".join(f"{u}::{i}::{r:g}::1\n" for u, i, r in rows).encode()
    for data, name in ((u_data, "u.data"), (csv, "ratings.csv"), (dat, "ratings.dat")):
        frame = read_ratings(data, name)
        assert frame[["user", "item", "rating"]].values.tolist() == [list(r) for r in rows], name
    with pytest.raises(ValueError, match=r"ratings.csv: rating 'great' in row 2 is not a number"):
        read_ratings(b"userId,movieId,rating\n1,2,3\n1,3,great\n", "ratings.csv")
    with pytest.raises(ValueError, match="needs user, item and rating columns"):
        read_ratings(b"1,2\n3,4\n", "pairs.csv")


def test_test_ratings_of_unknown_users_are_left_out():
    train = index_ratings(read_ratings(b"1\t1\t5\n2\t2\t3\n", "u.data"))
    test = index_ratings(read_ratings(b"1\t2\t4\n9\t1\t2\n", "u.data"), like=train)
    assert len(test) == 1 and test.users.tolist() == [0] and test.items.tolist() == [1]


def test_movielens_download_is_checked_and_cached(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("ml-100k/u1.base", "1\t1\t5\t0\n2\t1\t3\t0\n")
        bundle.writestr("ml-100k/u1.test", "1\t1\t4\t0\n")
    (served / "ml-100k.zip").write_bytes(buffer.getvalue())
    md5 = hashlib.md5(buffer.getvalue()).hexdigest()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/ml-100k.zip"
    try:
        with pytest.raises(ValueError, match="failed its checksum"):
            movielens_100k(tmp_path / "bad-cache", url, md5="0" * 32)
        assert not any((tmp_path / "bad-cache").iterdir())
        base, test = movielens_100k(tmp_path / "cache", url, md5)
        assert len(base) == 2 and len(test) == 1
        movielens_100k(tmp_path / "cache", url, md5)
        assert len(requests) == 2  # the failed try and one real download; the second load is cached
    finally:
        server.shutdown()


def test_recommend_cli_prints_rmse(tmp_path, capsys):
    frame = synthetic_ratings(n_users=120, n_items=80, density=0.2, seed=1)
    train, test = split_ratings(frame, 0.2, seed=0)
    train.to_csv(tmp_path / "ratings.csv", index=False, header=["userId", "movieId", "rating"])
    (tmp_path / "u1.test").write_text("".join(f"{u}\t{i}\t{r:g}\t0\n" for u, i, r in test.itertuples(index=False)))
    assert (
        main(
            [
                "recommend",
                "--ratings",
                str(tmp_path / "ratings.csv"),
                "--test",
                str(tmp_path / "u1.test"),
                "--epochs",
                "20",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out.strip())
    assert 0 < summary["rmse"] < summary["baselines"]["global"]
    assert summary["test_ratings"] + summary["test_ratings_skipped"] == len(test)


def low_rank_table(n=400, d=12, rank=3, seed=0):
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(n, rank)) @ rng.normal(size=(rank, d))
    return ((table - table.min(0)) / (table.max(0) - table.min(0))).astype(np.float32)


@pytest.mark.slow
def test_autoencoder_imputation_beats_the_mean_where_columns_are_related():
    truth = low_rank_table()
    gaps = hide_values(truth, 0.2, seed=0)
    model = AutoencoderImputer(latent_dim=6, epochs=150, threads=1).fit(gaps).model_
    errors = {m: imputation_error(truth, gaps, impute(gaps, m, model)) for m in ("autoencoder", "mean", "knn")}
    assert errors["autoencoder"] < 0.6 * errors["mean"], errors
    filled = impute(gaps, "autoencoder", model)
    known = ~np.isnan(gaps)
    assert np.array_equal(filled[known], truth[known])


def test_gaps_and_bad_settings():
    images = np.ones((2, 1, 8, 8), np.float32)
    boxed = hide_box(images, 2, 3, 4)
    assert np.isnan(boxed).sum() == 2 * 16 and np.isnan(boxed[0, 0, 2:6, 3:7]).all()
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\), got 1.5"):
        hide_values(images, 1.5)
    with pytest.raises(ValueError, match="method must be autoencoder, mean or knn"):
        impute(boxed, "magic")
    with pytest.raises(ValueError, match="no missing values"):
        imputation_error(images, images, images)


def test_labelled_subset_keeps_every_class():
    y = np.repeat(np.arange(10), 50)
    rows = labelled_subset(y, 0.01)
    assert set(y[rows]) == set(range(10)) and len(rows) == 10
    assert len(labelled_subset(y, 0.1)) == 50
    with pytest.raises(ValueError, match="label fraction must be in"):
        labelled_subset(y, 0)


def blobs(seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 6, (4, 10))
    y = np.repeat(np.arange(4), 60)
    return (centres[y] + rng.normal(size=(240, 10))).astype(np.float32), y


def test_knn_and_clustering_find_well_separated_groups():
    x, y = blobs()
    found = knn_accuracy(x[::2], y[::2], x[1::2], y[1::2], k=3)
    assert found["accuracy"] > 0.95 and found["dimensions"] == 10
    scores = cluster_scores(x, y, 4)
    assert scores["nmi"] > 0.9 and scores["ari"] > 0.9


def test_random_bits_are_fair_repeatable_coins_that_retrieve_at_chance():
    database, queries = random_bits(2000, 300, 16)
    assert database.shape == (2000, 16) and queries.shape == (300, 16) and database.dtype == np.uint8
    assert set(np.unique(database)) == {0, 1} and abs(database.mean() - 0.5) < 0.02
    again = random_bits(2000, 300, 16)
    assert np.array_equal(again[0], database) and np.array_equal(again[1], queries)
    assert not np.array_equal(database[:300], queries)  # the queries are not copies of database items
    labels = np.arange(2000) % 4
    assert abs(precision_at_k(database, labels, queries, np.arange(300) % 4, 10) - 0.25) < 0.05


def test_hamming_retrieval_and_hashing_codes():
    database = np.array([[0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 1]], np.uint8)
    assert hamming_neighbours(database, np.array([[0, 0, 0, 0]], np.uint8), 2).tolist() == [[0, 2]]
    binarizer = CodeBinarizer().fit(np.array([[0.1, 5.0], [0.9, 1.0], [0.5, 3.0]]))
    bits, thresholds = binarizer.transform(np.array([[0.1, 5.0], [0.9, 1.0], [0.5, 3.0]])), binarizer.thresholds_
    assert bits.tolist() == [[0, 1], [1, 0], [0, 0]] and thresholds.tolist() == [0.5, 3.0]
    x, y = blobs(1)
    x = (x - x.min()) / (x.max() - x.min())
    model = build_model("hashing", (10,), 8, seed=0, hidden_dims=(32,))
    fit(model, x, epochs=200, batch_size=32, threads=1)
    codes = model.embed(x)
    assert ((codes < 0.1) | (codes > 0.9)).mean() > 0.8  # the code noise drove units to 0 or 1
    bits = model.bits(x)
    random = np.random.default_rng(0).integers(0, 2, bits.shape, dtype=np.uint8)
    assert precision_at_k(bits, y, bits, y, 10) > precision_at_k(random, y, random, y, 10) + 0.3
