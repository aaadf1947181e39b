"""Datasets that need no download: scikit-learn's digits, procedural shapes, sample photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ae_core.data.base import Dataset, option, seeded_split
from ae_core.system import limits

SHAPE_KINDS = ("square", "circle", "triangle", "cross")
MNIST_SAMPLE_PATH = Path(__file__).resolve().parent / "bundled" / "mnist_sample.npz"


def load_digits_dataset(options: dict[str, str]) -> Dataset:
    """scikit-learn's 1,797 digits (8x8, values in [0, 1]) with a seeded 80/20 split.

    Parameters
    ----------
    options : dict
        The spec's options; ``seed`` (default 0) seeds the split.

    Returns
    -------
    Dataset
        Images (N, 1, 8, 8), labels 0-9.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images / 16.0).astype(np.float32)[:, None]
    y = bunch.target.astype(np.int64)
    train, test = seeded_split(len(x), 0.2, option(options, "seed", 0))
    return Dataset(
        "digits",
        x[train],
        x[test],
        y[train],
        y[test],
        [str(d) for d in range(10)],
        description="1,797 handwritten digits, 8x8 pixels (scikit-learn's bundled copy of the UCI set).",
    )


def load_mnist_sample_dataset(options: dict[str, str]) -> Dataset:
    """The bundled 6,000 MNIST digits (28x28): 5,000 for training, 1,000 for testing.

    Parameters
    ----------
    options : dict
        Unused.

    Returns
    -------
    Dataset
        Images (N, 1, 28, 28) in [0, 1], labels 0-9.
    """
    with np.load(MNIST_SAMPLE_PATH, allow_pickle=False) as archive:
        x = (archive["x"].astype(np.float32) / 255.0)[:, None]
        y = archive["y"].astype(np.int64)
        n_train = int(archive["n_train"])
    return Dataset(
        "mnist-sample",
        x[:n_train],
        x[n_train:],
        y[:n_train],
        y[n_train:],
        [str(d) for d in range(10)],
        description="6,000 of MNIST's handwritten digits, 28x28, bundled (LeCun, Cortes and Burges; CC BY-SA 3.0).",
    )


def render_shapes(n: int, size: int = 32, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``n`` anti-aliased shape images ``(n, 1, size, size)`` and their generating factors.

    Factors, drawn uniformly: kind (index into ``SHAPE_KINDS``), scale (radius as a fraction
    of the half-side, 0.25-0.5), rotation (radians) and the centre (x, y from -0.45 to 0.45, the
    image spanning [-1, 1]).

    Parameters
    ----------
    n : int
        At least 1.
    size : int, default 32
        Side in pixels, at least 8.
    seed : int, default 0

    Returns
    -------
    tuple
        Float32 images in [0, 1] and a dict of factor name (``kind``, ``scale``, ``rotation``, ``x``,
        ``y``) to an array of ``n`` values.

    Raises
    ------
    ValueError
        If ``n`` < 1 or ``size`` < 8.
    """
    if n < 1 or size < 8:
        raise ValueError(f"shapes needs n >= 1 and size >= 8, got n={n}, size={size}")
    rng = np.random.default_rng(seed)
    factors = {
        "kind": rng.integers(0, len(SHAPE_KINDS), n),
        "scale": rng.uniform(0.25, 0.5, n),
        "rotation": rng.uniform(0, 2 * np.pi, n),
        "x": rng.uniform(-0.45, 0.45, n),
        "y": rng.uniform(-0.45, 0.45, n),
    }
    axis = (np.arange(size) + 0.5) / size * 2 - 1
    gy, gx = np.meshgrid(axis, axis, indexing="ij")
    images = np.empty((n, size, size), np.float32)
    for start in range(0, n, 2048):
        s = slice(start, start + 2048)
        cos, sin = np.cos(factors["rotation"][s])[:, None, None], np.sin(factors["rotation"][s])[:, None, None]
        dx, dy = gx - factors["x"][s][:, None, None], gy - factors["y"][s][:, None, None]
        scale = factors["scale"][s][:, None, None]
        px, py = (cos * dx + sin * dy) / scale, (-sin * dx + cos * dy) / scale
        distance = np.stack([_sdf(kind, px, py) for kind in SHAPE_KINDS])
        picked = np.take_along_axis(distance, factors["kind"][s][None, :, None, None], axis=0)[0]
        pixel = 2.0 / size / scale  # one pixel in shape units: the edge is blurred over it
        images[s] = np.clip(0.5 - picked / pixel, 0.0, 1.0)
    return images[:, None], factors


def _sdf(kind: str, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Signed distance (approximate, in shape units) to the shape's outline; negative inside."""
    if kind == "circle":
        return np.hypot(px, py) - 1.0
    if kind == "square":
        return np.maximum(np.abs(px), np.abs(py)) - 0.8
    if kind == "triangle":
        normals = [(np.cos(a), np.sin(a)) for a in (np.pi / 2 + k * 2 * np.pi / 3 for k in range(3))]
        return np.max([nx * px + ny * py for nx, ny in normals], axis=0) - 0.5
    arm_x = np.maximum(np.abs(px) - 1.0, np.abs(py) - 0.3)
    arm_y = np.maximum(np.abs(px) - 0.3, np.abs(py) - 1.0)
    return np.minimum(arm_x, arm_y)


def load_shapes_dataset(options: dict[str, str]) -> Dataset:
    """Procedural shape images with known generating factors, split 80/20.

    Parameters
    ----------
    options : dict
        ``n`` (default 6000) images of ``size`` x ``size`` pixels (default 32, from 8 to 512), ``seed``
        (default 0) for the shapes and the split.

    Returns
    -------
    Dataset
        Images (N, 1, size, size) in [0, 1], labelled by kind, with ``factors`` (train then test order).

    Raises
    ------
    ValueError
        If ``size`` is out of range or the images would exceed the ``dataset_bytes`` limit.
    """
    n = option(options, "n", 6000)
    size = option(options, "size", 32)
    seed = option(options, "seed", 0)
    if not 8 <= size <= 512:
        raise ValueError(f"shapes option size must be from 8 to 512, got {size}")
    limits.check("dataset_bytes", max(n, 0) * size * size * 4, f"shapes?n={n}&size={size} is {{amount}} of samples")
    x, factors = render_shapes(n, size, seed)
    train, test = seeded_split(n, 0.2, seed)
    order = np.concatenate([train, test])
    return Dataset(
        f"shapes?n={n}&size={size}&seed={seed}",
        x[train],
        x[test],
        factors["kind"][train],
        factors["kind"][test],
        list(SHAPE_KINDS),
        factors={k: v[order] for k, v in factors.items()},
        description=f"{n:,} procedural {size}x{size} shapes with known kind, size, rotation and position.",
    )


# Natural photographs shipped by scikit-image and scikit-learn. The last two are held out.
TRAIN_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "motorcycle_left",
    "china",
    "brick",
    "grass",
    "gravel",
    "coins",
    "moon",
)
TEST_PHOTOS = ("camera", "flower")


def photo(name: str) -> np.ndarray:
    """A bundled photograph as float32 ``(H, W, 3)`` or ``(H, W, 1)`` in [0, 1].

    Parameters
    ----------
    name : str
        One of ``TRAIN_PHOTOS`` or ``TEST_PHOTOS``.

    Returns
    -------
    np.ndarray

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        image = load_sample_image(f"{name}.jpg")
    elif name == "motorcycle_left":
        from skimage.data import stereo_motorcycle

        image = stereo_motorcycle()[0]
    else:
        import skimage.data

        if name not in TRAIN_PHOTOS + TEST_PHOTOS:
            raise ValueError(f"unknown photo {name!r}; valid: {', '.join(TRAIN_PHOTOS + TEST_PHOTOS)}")
        image = getattr(skimage.data, name)()
    image = np.asarray(image, np.float32) / 255.0
    return image[..., None] if image.ndim == 2 else image[..., :3]


def load_photos_dataset(options: dict[str, str]) -> Dataset:
    """Random square patches of the bundled photos; the test patches come from held-out photos.

    Parameters
    ----------
    options : dict
        ``patch`` side in pixels (default 32, from 4 to 256), ``n`` training patches (default 8000; the test
        set gets n // 5), ``color`` 0 (gray, default) or 1, ``seed`` (default 0).

    Returns
    -------
    Dataset
        Unlabelled images (N, 1 or 3, patch, patch) in [0, 1].

    Raises
    ------
    ValueError
        If an option is out of range or the patches would exceed the ``dataset_bytes`` limit.
    """
    patch = option(options, "patch", 32)
    n = option(options, "n", 8000)
    color = option(options, "color", 0)
    seed = option(options, "seed", 0)
    if not 4 <= patch <= 256:
        raise ValueError(f"photos option patch must be from 4 to 256, got {patch}")
    if n < 1 or color not in (0, 1):
        raise ValueError(f"photos needs n >= 1 and color 0 or 1, got n={n}, color={color}")
    limits.check("dataset_bytes", n * 1.2 * patch * patch * (3 if color else 1) * 4, "these patches are {amount}")

    def patches(names, count, rng):
        per_photo = -(-count // len(names))
        out = []
        for name in names:
            image = photo(name)
            image = image if color else image.mean(axis=2, keepdims=True)
            image = np.repeat(image, 3, axis=2) if color and image.shape[2] == 1 else image
            h, w = image.shape[:2]
            tops, lefts = rng.integers(0, h - patch + 1, per_photo), rng.integers(0, w - patch + 1, per_photo)
            out += [image[t : t + patch, s : s + patch].transpose(2, 0, 1) for t, s in zip(tops, lefts)]
        return np.stack(out[:count]).astype(np.float32)

    rng = np.random.default_rng(seed)
    x_train = patches(TRAIN_PHOTOS, n, rng)
    x_test = patches(TEST_PHOTOS, max(n // 5, 1), rng)
    return Dataset(
        f"photos?patch={patch}&n={n}&color={color}&seed={seed}",
        x_train,
        x_test,
        description=f"{patch}x{patch} patches of scikit-image's and scikit-learn's sample photos; "
        f"test patches come from held-out photos ({', '.join(TEST_PHOTOS)}).",
    )
