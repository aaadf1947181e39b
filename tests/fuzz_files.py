"""Small crafted files of the kinds a curious or careless student uploads: model zips naming
server files, decompression bombs, lying headers, damaged archives, wrong types. Shared by
tests/test_fuzz_uploads.py and bench/fuzz_uploads.py (run with PYTHONPATH=.)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from ae_core.checkpoints import save_checkpoint
from ae_core.models import build_model


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # model_zip | dataset | ratings | image
    make: Callable[[Path], tuple[str, bytes]]  # server folder -> (filename, bytes)
    expect: str  # a regex the one-line message matches


def server_files(root: Path) -> Path:
    """Files that stand for the server's own: no upload may make the app read them."""
    server = root / "server"
    (server / "icons").mkdir(parents=True, exist_ok=True)
    (server / "secret.csv").write_text("user,password\n1,hunter2\n2,hunter3\n")
    for i in range(2):
        Image.new("L", (8, 8), 40 * i).save(server / "icons" / f"{i}.png")
    np.savez(server / "secret.npz", x=np.zeros((4, 6), np.float32))
    return server


# -- model zips --------------------------------------------------------------------------------


def model_files() -> dict[str, bytes]:
    """config.json and weights.safetensors of a tiny real checkpoint."""
    return dict(_model_files())


@cache
def _model_files() -> dict[str, bytes]:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        path = save_checkpoint(build_model("linear", (1, 8, 8), 2, seed=0), Path(scratch) / "m", dataset="digits")
        return {name: (path / name).read_bytes() for name in ("config.json", "weights.safetensors")}


def zipped(files: dict[str, bytes], method=zipfile.ZIP_DEFLATED, flags: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return patched(buffer.getvalue(), "flags", flags) if flags else buffer.getvalue()


def with_config(change: Callable[[dict, Path], None]) -> Callable[[Path], tuple[str, bytes]]:
    def make(server: Path) -> tuple[str, bytes]:
        files = model_files()
        config = json.loads(files["config.json"])
        change(config, server)
        files["config.json"] = json.dumps(config).encode()
        return "model.zip", zipped(files)

    return make


def _set(path: str, value) -> Callable[[dict, Path], None]:
    def change(config: dict, server: Path) -> None:
        *parents, last = path.split(".")
        target = config
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def _dataset(template: str) -> Callable:
    def change(config: dict, server: Path) -> None:
        config["dataset"] = template.format(server=server)

    return change


def _damaged_crc(server: Path) -> tuple[str, bytes]:
    files = model_files()
    blob = zipped(files, zipfile.ZIP_STORED)
    weights = files["weights.safetensors"]
    return "model.zip", blob.replace(weights[-40:], bytes(b ^ 0xFF for b in weights[-40:]))


def patched(blob: bytes, field: str, value: int) -> bytes:
    """``blob`` with a field of every zip header set to ``value``: "flags" (bit 0 = encrypted)
    or "method" (the compression method; 9, deflate64, is one Python cannot read)."""
    local, central = {"flags": (6, 8), "method": (8, 10)}[field]
    out = bytearray(blob)
    for signature, offset in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        start = out.find(signature)
        while start >= 0:
            out[start + offset : start + offset + 2] = struct.pack("<H", value)
            start = out.find(signature, start + 4)
    return bytes(out)


def _method(method: int) -> Callable[[Path], tuple[str, bytes]]:
    return lambda server: ("model.zip", patched(zipped(model_files(), zipfile.ZIP_STORED), "method", method))


def _huge_model(config: dict, server: Path) -> None:
    config["model"].update(name="deep", options={"hidden_dims": [40000, 40000]})


def _extra_member(name: str, data: bytes = b"x") -> Callable[[Path], tuple[str, bytes]]:
    return lambda server: ("model.zip", zipped({**model_files(), name: data}))


MODEL_ZIPS = [
    Case("dataset-csv-server-file", "model_zip", with_config(_dataset("csv:{server}/secret.csv")), "built-in dataset"),
    Case("dataset-folder-server", "model_zip", with_config(_dataset("folder:{server}/icons")), "built-in dataset"),
    Case("dataset-npz-server", "model_zip", with_config(_dataset("npz:{server}/secret.npz")), "built-in dataset"),
    Case("dataset-zip-climbs-out", "model_zip", with_config(_dataset("zip:../../server/x.zip")), "built-in dataset"),
    Case("dataset-bare-zip-path", "model_zip", with_config(_dataset("{server}/x.zip")), "built-in dataset"),
    Case("dataset-mirror", "model_zip", with_config(_dataset("mnist?mirror=http://10.0.0.1/")), "'mirror'"),
    Case("dataset-cache", "model_zip", with_config(_dataset("mnist?cache={server}")), "'cache'"),
    Case("dataset-mnist-folder", "model_zip", with_config(_dataset("mnist:{server}")), "not a folder"),
    Case("dataset-not-a-string", "model_zip", with_config(_set("dataset", ["digits"])), "'dataset' must be"),
    Case("created-number", "model_zip", with_config(_set("created", 12345)), "'created' must be"),
    Case("training-string", "model_zip", with_config(_set("training", "x")), "'training' must be"),
    Case("metrics-list", "model_zip", with_config(_set("metrics", [1])), "'metrics' must be"),
    Case("training-epoch-text", "model_zip", with_config(_set("training", {"epoch": "3"})), "whole number"),
    Case("extra-list", "model_zip", with_config(_set("extra", [])), "'extra' must be"),
    Case("label-names-numbers", "model_zip", with_config(_set("label_names", [1, 2])), "label_names"),
    Case("scaler-garbage", "model_zip", with_config(_set("scaler", {"kind": "minmax"})), "scaler"),
    Case("huge-model", "model_zip", with_config(_huge_model), "3.21 billion parameters"),
    Case("huge-model-name", "model_zip", with_config(_set("model.name", "deep")), "do not fit"),
    Case("many-layers", "model_zip", with_config(_set("model.options.hidden_dims", [8] * 5000)), "at most 64"),
    Case("unknown-model", "model_zip", with_config(_set("model.name", "__import__")), "unknown model"),
    Case("latent-text", "model_zip", with_config(_set("model.latent_dim", "8")), "latent_dim"),
    Case("latent-negative", "model_zip", with_config(_set("model.latent_dim", -1)), "latent_dim"),
    Case("shape-zero", "model_zip", with_config(_set("model.input_shape", [0])), "input_shape"),
    Case("shape-huge", "model_zip", with_config(_set("model.input_shape", [3, 100000, 100000])), "parameters"),
    Case("option-object", "model_zip", with_config(_set("model.options.noise", {"a": 1})), "numbers and words"),
    Case("option-nan", "model_zip", with_config(_set("model.options.noise_level", float("nan"))), "numbers and words"),
    Case("option-unknown", "model_zip", with_config(_set("model.options.evil", 1)), "unknown option"),
    Case("newer-format", "model_zip", with_config(_set("format_version", 99)), "newer Latent Lab"),
    Case("wrong-format", "model_zip", with_config(_set("format", "pickle")), "not a Latent Lab checkpoint"),
    Case(
        "config-too-big",
        "model_zip",
        lambda server: ("model.zip", zipped({**model_files(), "config.json": b" " * 3_000_000 + b"{}"})),
        "the limit is",
    ),
    Case(
        "config-deep-json",
        "model_zip",
        lambda server: ("model.zip", zipped({**model_files(), "config.json": b"[" * 200_000})),
        "not valid JSON",
    ),
    Case(
        "config-not-json",
        "model_zip",
        lambda server: ("model.zip", zipped({**model_files(), "config.json": b"\xff\xfe garbage"})),
        "not valid JSON",
    ),
    Case(
        "weights-not-safetensors",
        "model_zip",
        lambda server: ("model.zip", zipped({**model_files(), "weights.safetensors": b"\x80\x04pickle"})),
        "not a readable safetensors",
    ),
    Case("bad-crc", "model_zip", _damaged_crc, "damaged"),
    Case("encrypted", "model_zip", lambda server: ("m.zip", zipped(model_files(), flags=0x1)), "encrypted"),
    Case(
        "bzip2", "model_zip", lambda server: ("m.zip", zipped(model_files(), zipfile.ZIP_BZIP2)), "compression method"
    ),
    Case("deflate64", "model_zip", _method(9), "compression method"),
    Case("pickle-member", "model_zip", _extra_member("model.pkl"), "only config.json"),
    Case("climbing-member", "model_zip", _extra_member("../config.json"), "only config.json"),
    Case("not-a-zip", "model_zip", lambda server: ("m.zip", b"PK\x03\x04 not really"), "not a readable zip"),
    Case("empty-file", "model_zip", lambda server: ("m.zip", b""), "not a readable zip"),
    Case("truncated-zip", "model_zip", lambda server: ("m.zip", zipped(model_files())[:300]), "not a readable zip"),
    Case("missing-weights", "model_zip", lambda server: ("m.zip", zipped({"config.json": b"{}"})), "missing"),
]


# -- datasets ----------------------------------------------------------------------------------


def png_header(width: int, height: int, bit_depth: int = 8, colour: int = 0) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels but holds almost no data: what it
    would cost is in its header, which is all a loader may read before refusing it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _images_zip(count: int, image: bytes, **options) -> bytes:
    return zipped({f"img/{i}.png": image for i in range(count)}, **options)


DATASETS = [
    Case(
        "zip-40-flat-6300px-pngs",
        "dataset",
        lambda s: ("flat.zip", _images_zip(40, png_header(6300, 6300))),
        r"decodes to 1.59 GB of pixels; the limit is 1 GB",
    ),
    Case("zip-one-huge-png", "dataset", lambda s: ("big.zip", _images_zip(2, png_header(9000, 9000))), "per image"),
    Case("zip-fake-pngs", "dataset", lambda s: ("fake.zip", _images_zip(3, b"\x89PNG not at all")), "not an image"),
    Case(
        "zip-truncated-png",
        "dataset",
        lambda s: ("cut.zip", _images_zip(3, png(np.arange(400, dtype=np.uint8).reshape(20, 20))[:60])),
        "damaged or truncated|not an image",
    ),
    Case(
        "zip-bad-crc",
        "dataset",
        lambda s: (
            "crc.zip",
            _images_zip(2, png(np.arange(256, dtype=np.uint8).reshape(16, 16)), method=zipfile.ZIP_STORED).replace(
                b"IEND", b"IENX"
            ),
        ),
        "not a readable zip|damaged|not an image",
    ),
    Case(
        "zip-encrypted",
        "dataset",
        lambda s: ("enc.zip", _images_zip(2, png(np.zeros((4, 4), np.uint8)), flags=0x1)),
        "encrypted",
    ),
    Case(
        "zip-one-image", "dataset", lambda s: ("one.zip", _images_zip(1, png(np.zeros((4, 4), np.uint8)))), "two images"
    ),
    Case("zip-not-a-zip", "dataset", lambda s: ("x.zip", b"\0" * 100), "not a readable zip"),
    Case(
        "npz-declares-8-gib",
        "dataset",
        lambda s: ("bomb.npz", zipped({"x.npy": npy_header((1 << 30,)) + b"\0" * 1024})),
        "declares 8.59 GB of arrays",
    ),
    Case(
        "npz-object-array",
        "dataset",
        lambda s: ("obj.npz", _npz(x=np.array([{}, {}], dtype=object))),
        "never unpickled",
    ),
    Case("npz-not-npy", "dataset", lambda s: ("junk.npz", zipped({"x.npy": b"hello"})), "not a .npy"),
    Case("npz-not-a-zip", "dataset", lambda s: ("junk.npz", b"\x93NUMPY"), "not a readable .npz"),
    Case("npz-no-x", "dataset", lambda s: ("nox.npz", _npz(a=np.zeros(3))), "needs arrays"),
    Case("npz-strings", "dataset", lambda s: ("str.npz", _npz(x=np.array(["a", "b", "c"]))), "numbers are needed"),
    Case("npz-inf", "dataset", lambda s: ("inf.npz", _npz(x=np.full((5, 3), np.inf))), "infinite"),
    Case("csv-header-only", "dataset", lambda s: ("h.csv", b"a,b,label\n"), "at least two rows"),
    Case("csv-empty", "dataset", lambda s: ("e.csv", b""), "not a readable CSV"),
    Case("csv-binary", "dataset", lambda s: ("b.csv", bytes(range(256)) * 4), "not a readable CSV|has text"),
    Case("csv-text", "dataset", lambda s: ("t.csv", b"a,b\n1,x\n2,3\n"), "has text"),
    Case("csv-inf", "dataset", lambda s: ("i.csv", b"a,b\n1,inf\n2,3\n4,5\n"), "infinite"),
    Case("wrong-suffix", "dataset", lambda s: ("x.pkl", b"\x80\x04"), "upload a"),
]


# -- ratings and images ------------------------------------------------------------------------


def _ratings(users: int, items: int) -> bytes:
    rows = np.arange(max(users, items))
    return "".join(f"{u % users + 1}\t{i % items + 1}\t3\n" for u, i in zip(rows, rows)).encode()


RATINGS = [
    Case("ratings-40k-ids", "ratings", lambda s: ("u.data", _ratings(40_000, 40_000)), "billion cells; the limit"),
    Case("ratings-header-only", "ratings", lambda s: ("ratings.csv", b"userId,movieId,rating\n"), "no ratings"),
    Case("ratings-inf", "ratings", lambda s: ("u.data", b"1\t1\tinf\n2\t2\t3\n"), "not a number"),
    Case("ratings-text", "ratings", lambda s: ("u.data", b"1\t1\tgreat\n"), "not a number"),
    Case("ratings-two-columns", "ratings", lambda s: ("r.csv", b"1,2\n3,4\n"), "needs user, item and rating"),
    Case(
        "ratings-binary", "ratings", lambda s: ("r.dat", bytes(range(256))), "not a ratings file|use u.data|needs user"
    ),
    Case("ratings-missing-user", "ratings", lambda s: ("r.csv", b"u,i,r\n,1,3\n1,2,4\n"), "no user or no item"),
]

IMAGES = [
    Case(
        "image-bomb-header", "image", lambda s: ("bomb.png", png_header(20_000, 20_000)), "decompression bomb|per image"
    ),
    Case("image-random-bytes", "image", lambda s: ("x.png", bytes(range(256)) * 8), "not an image"),
    Case(
        "image-truncated",
        "image",
        lambda s: ("t.png", png(np.arange(900, dtype=np.uint8).reshape(30, 30))[:70]),
        "damaged|not an image",
    ),
    Case("image-tiny", "image", lambda s: ("1.png", png(np.zeros((1, 1), np.uint8))), "only 1x1"),
    Case("image-float-nan", "image", lambda s: ("n.tif", _tiff(np.full((4, 4), np.nan, np.float32))), "NaN"),
    Case("image-float-huge", "image", lambda s: ("h.tif", _tiff(np.full((4, 4), 1e9, np.float32))), "range from"),
]


def _tiff(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="TIFF")
    return buffer.getvalue()


ALL = MODEL_ZIPS + DATASETS + RATINGS + IMAGES
