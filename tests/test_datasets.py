import gzip
import hashlib
import http.server
import io
import threading
import zipfile
from functools import partial

import numpy as np
import pytest
from PIL import Image

from ae_core.data import SHAPE_KINDS, load_dataset
from ae_core.data import download as dl
from ae_core.train.request import TrainingRequest, check_request


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        ("digits", (1, 8, 8)),
        ("shapes?n=300&size=24", (1, 24, 24)),
        ("photos?n=200", (1, 32, 32)),
        ("photos?n=50&color=1&patch=16", (3, 16, 16)),
    ],
)
def test_builtin_datasets_are_float32_in_unit_interval(spec, shape):
    data = load_dataset(spec)
    assert data.shape == shape
    for x in (data.x_train, data.x_test):
        assert x.dtype == np.float32 and x.min() >= 0 and x.max() <= 1 and len(x) > 0
    assert data.x_train.std() > 0.05


def test_digits_has_labels_and_a_fixed_split():
    a, b = load_dataset("digits"), load_dataset("digits")
    assert len(a.x_train) + len(a.x_test) == 1797
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert a.label_names == [str(i) for i in range(10)] and set(a.y_train) == set(range(10))


def test_shapes_are_seeded_with_known_factors():
    a, b, c = (
        load_dataset("shapes?n=200&seed=1"),
        load_dataset("shapes?n=200&seed=1"),
        load_dataset("shapes?n=200&seed=2"),
    )
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    assert a.label_names == list(SHAPE_KINDS)
    assert set(a.factors) == {"kind", "scale", "rotation", "x", "y"}
    np.testing.assert_array_equal(a.factors["kind"][: len(a.y_train)], a.y_train)
    # Bigger shapes cover more pixels: the factor is really in the image.
    ink = a.x_train.reshape(len(a.x_train), -1).sum(axis=1)
    assert np.corrcoef(ink, a.factors["scale"][: len(ink)])[0, 1] > 0.5


def test_photos_hold_out_whole_photographs():
    data = load_dataset("photos?n=100&patch=8")
    assert "camera" in data.description and len(data.x_test) == 20


def save_npz(path, **arrays):
    np.savez(path, **arrays)
    return f"npz:{path}"


def test_npz_mnist_layout_scales_uint8(tmp_path):
    rng = np.random.default_rng(0)
    spec = save_npz(
        tmp_path / "m.npz",
        x_train=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        y_train=np.arange(20) % 10,
        x_test=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        y_test=np.arange(5),
    )
    data = load_dataset(spec)
    assert data.shape == (1, 28, 28) and len(data.x_test) == 5
    assert data.x_train.max() <= 1 and data.x_train.max() > 0.9
    np.testing.assert_array_equal(data.y_test, np.arange(5))


def test_npz_single_array_gets_a_seeded_split_and_a_stored_scaler(tmp_path):
    x = np.random.default_rng(0).normal(50, 10, (100, 6))
    data = load_dataset(save_npz(tmp_path / "t.npz", x=x))
    assert data.kind == "tabular" and len(data.x_train) == 80
    assert data.scaler["kind"] == "standard"  # tables get z-scores by default
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1, atol=1e-4)
    again = load_dataset(save_npz(tmp_path / "t2.npz", x=x * 2), scaler=data.scaler)
    assert again.x_train.mean() > 4  # scaled with the stored scaler, not refitted: far out stays far out
    minmax = load_dataset(save_npz(tmp_path / "t3.npz", x=x) + "?scale=minmax")
    assert minmax.x_train.min() == 0 and minmax.x_train.max() == 1
    clipped = load_dataset(save_npz(tmp_path / "t4.npz", x=x * 2), scaler=minmax.scaler)
    assert clipped.x_train.max() == 1.0  # min-max data is clipped into the training range


def test_standardised_tables_get_squared_error_and_refuse_bce(tmp_path):
    data = load_dataset(save_npz(tmp_path / "t.npz", x=np.random.default_rng(0).normal(size=(60, 4))))
    model = check_request(TrainingRequest(data.spec, "deep", 2), data)
    assert (model.options.recon_loss, model.options.output) == ("mse", "linear")
    with pytest.raises(ValueError, match="recon_loss 'bce' needs data in \\[0, 1\\].*scale=minmax"):
        check_request(TrainingRequest(data.spec, "deep", 2, {"recon_loss": "bce"}), data)
    minmax = load_dataset(data.spec + "?scale=minmax")
    assert check_request(TrainingRequest(minmax.spec, "deep", 2), minmax).options.recon_loss == "bce"


def test_npz_channels_last_images(tmp_path):
    x = np.random.default_rng(0).random((10, 9, 7, 3)).astype(np.float32)
    assert load_dataset(save_npz(tmp_path / "c.npz", x=x)).shape == (3, 9, 7)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"a": np.zeros(3)}, "needs arrays 'x_train' and 'x_test'"),
        ({"x": np.array([np.zeros(2), "a"], dtype=object)}, "object arrays, which are never unpickled"),
        ({"x": np.array([[1.0, np.nan]] * 5)}, "missing or infinite values"),
        (
            {"x_train": np.zeros((5, 4)), "x_test": np.zeros((5, 3))},
            "train samples have shape (4,) but test samples (3,)",
        ),
        ({"x": np.zeros((5, 4)), "y": np.zeros(4)}, "labels have shape (4,) but there are 5 samples"),
        ({"x": np.zeros((5, 4, 4, 5))}, "neither tables"),
        ({"x": np.full((5, 4, 4), 300.0)}, "expected [0, 1] or [0, 255]"),
        ({"x": np.array([["a", "b"]] * 5)}, "dtype <U1; numbers are needed"),
    ],
)
def test_bad_npz_files_get_one_clear_line(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError) as err:
        load_dataset(f"npz:{path}")
    assert message in str(err.value) and "bad.npz" in str(err.value) and "\n" not in str(err.value)


def test_npz_that_is_not_an_npz(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"hello")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_dataset(f"npz:{tmp_path / 'x.npz'}")


def test_csv_with_label_column(tmp_path):
    rows = ["a,b,label"] + [f"{i},{i * 2},{'odd' if i % 2 else 'even'}" for i in range(20)]
    (tmp_path / "t.csv").write_text("\n".join(rows))
    data = load_dataset(f"csv:{tmp_path / 't.csv'}")
    assert data.shape == (2,) and data.label_names == ["even", "odd"] and data.feature_names == ["a", "b"]


def test_csv_with_text_in_a_numeric_column(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,oops\n5,6\n")
    with pytest.raises(ValueError, match=r"column 'b' has text \('oops' on line 3\)"):
        load_dataset(f"csv:{tmp_path / 't.csv'}")


def test_csv_with_missing_values(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,\n5,6\n7,8\n9,1\n")
    with pytest.raises(ValueError, match="missing or infinite values"):
        load_dataset(f"csv:{tmp_path / 't.csv'}?test=0.4")


def png_bytes(value, size=(10, 10), mode="L"):
    buffer = io.BytesIO()
    Image.new(mode, size, value).save(buffer, format="PNG")
    return buffer.getvalue()


def test_image_folder_with_class_subfolders(tmp_path):
    for cls, value in (("cats", 30), ("dogs", 200)):
        (tmp_path / cls).mkdir()
        for i in range(5):
            (tmp_path / cls / f"{i}.png").write_bytes(png_bytes(value + i))
    data = load_dataset(f"folder:{tmp_path}")
    assert data.label_names == ["cats", "dogs"] and data.shape == (1, 10, 10)
    assert len(data.x_train) + len(data.x_test) == 10


def test_zip_of_images_and_a_corrupt_member(tmp_path):
    path = tmp_path / "imgs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(4):
            archive.writestr(f"set/{i}.png", png_bytes(i * 50, mode="RGB"))
    assert load_dataset(str(path)).shape == (3, 10, 10)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("set/broken.png", b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(ValueError, match=r"broken.png: (not an image|the image is damaged)"):
        load_dataset(f"zip:{path}")


def test_unknown_dataset_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'; valid: .*digits, shapes"):
        load_dataset("cifar")


def idx_bytes(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def idx_server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving generated MNIST-format files."""
    rng = np.random.default_rng(0)
    served = tmp_path / "mirror"
    served.mkdir()
    arrays = [
        rng.integers(0, 256, (30, 28, 28)),
        rng.integers(0, 10, 30),
        rng.integers(0, 256, (10, 28, 28)),
        rng.integers(0, 10, 10),
    ]
    for name, array in zip(dl.FILES, arrays):
        (served / name).write_bytes(idx_bytes(array))
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    checksums = tuple(hashlib.md5((served / f).read_bytes()).hexdigest() for f in dl.FILES)
    yield f"http://127.0.0.1:{server.server_port}/", checksums, requests, arrays
    server.shutdown()


def test_mnist_downloads_once_verifies_and_caches(idx_server, tmp_path, monkeypatch):
    mirror, checksums, requests, arrays = idx_server
    default, _, names = dl.FAMILIES["mnist"]
    monkeypatch.setitem(dl.FAMILIES, "mnist", (default, checksums, names))
    spec = f"mnist?mirror={mirror}&cache={tmp_path / 'cache'}"
    data = load_dataset(spec)
    assert data.shape == (1, 28, 28) and len(data.x_train) == 30 and len(data.x_test) == 10
    np.testing.assert_allclose(data.x_train[:, 0] * 255, arrays[0], atol=1e-3)
    assert len(requests) == 4
    load_dataset(spec)
    assert len(requests) == 4  # second load reads the cache
    local = load_dataset(f"mnist:{tmp_path / 'cache' / 'mnist'}")
    np.testing.assert_array_equal(local.x_test, data.x_test)


def test_mnist_download_with_a_wrong_checksum_keeps_nothing(idx_server, tmp_path):
    mirror = idx_server[0]
    with pytest.raises(ValueError, match="failed its checksum"):
        load_dataset(f"fashion-mnist?mirror={mirror}&cache={tmp_path / 'c'}")
    assert not any(p.is_file() for p in (tmp_path / "c").rglob("*"))


def test_offline_download_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_MIRROR_KMNIST", "http://127.0.0.1:9/")
    with pytest.raises(ValueError, match=r"could not download http://127.0.0.1:9/train-images.* check the connection"):
        load_dataset(f"kmnist?cache={tmp_path}")


def test_damaged_idx_file(tmp_path):
    for name in dl.FILES:
        (tmp_path / name).write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 20))
    with pytest.raises(ValueError, match="its header promises"):
        load_dataset(f"mnist:{tmp_path}")


def test_file_specs_keep_their_options_so_the_split_reloads_identically(tmp_path):
    x = np.random.default_rng(0).random((50, 3))
    spec = save_npz(tmp_path / "t.npz", x=x) + "?test=0.1&seed=3"
    data = load_dataset(spec)
    assert data.spec == spec and len(data.x_test) == 5
    np.testing.assert_array_equal(load_dataset(data.spec).x_test, data.x_test)


def test_random_test_rows_are_distinct_repeatable_and_never_more_than_there_are():
    data = load_dataset("digits")
    rows = data.random_test_rows(10, seed=3)
    assert len(set(rows.tolist())) == 10 and rows.max() < len(data.x_test)
    assert np.array_equal(rows, data.random_test_rows(10, seed=3))
    assert not np.array_equal(rows, data.random_test_rows(10, seed=4))
    everything = data.random_test_rows(10**6)
    assert sorted(everything.tolist()) == list(range(len(data.x_test)))
