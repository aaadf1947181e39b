"""The recommender trained on the deployment's training queue, and saved where every process finds it.

A ``RecommenderRequest`` names the ratings (the synthetic demo, MovieLens 100k's u1 split, or
files a browser uploaded, by their stored names in its own upload folder) and AutoRec's settings.
The queue's worker process trains it (``run``) and saves the fitted recommender as a checkpoint
folder (``weights.safetensors`` and ``config.json``; nothing is pickled): the demo ones in the data
folder's ``recommenders/``, once per deployment for each ratings and settings, an upload's in its
browser's upload folder. ``load_recommender`` gives it back, in any process, after any restart.
The synthetic demo at its default settings ships trained in ``pretrained/recommenders/``
(``shipped_folder``; ``scripts/train_pretrained.py --only synthetic-recommender`` remakes it), so
a fresh deployment opens it at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from ae_core.apps.rating_uploads import STORED_NAME, indexed
from ae_core.apps.ratings import Ratings, movielens_100k, read_ratings, synthetic_ratings
from ae_core.apps.recommender import Recommender
from ae_core.checkpoints import save_checkpoint
from ae_core.checkpoints.folder import CONFIG, load_folder
from ae_core.checkpoints.library import SHIPPED_RECOMMENDERS
from ae_core.system.parameters import check_parameter
from ae_core.system.paths import home_dir, user_data_dir
from ae_core.train.kinds import register_request

SOURCES = ("synthetic", "movielens", "upload")
FORMAT = 1  # part of every saved recommender's key: a change of the training makes new ones
_UPLOADER = re.compile(r"[0-9a-f]{64}")  # paths.owner_hash: a browser's folder of the data folder


@register_request
@dataclass(frozen=True)
class RecommenderRequest:
    """One recommender to train, as plain values (what its queued run is sent).

    Parameters
    ----------
    source : str
        "synthetic", "movielens" or "upload".
    epochs, hidden, weight_decay, lr, seed
        ``Recommender``'s settings (its defaults).
    uploader : str
        For "upload": the uploading browser's hashed id (``paths.owner_hash``), naming its folder.
    train_file, test_file : str
        For "upload": names ``store_rating_files`` gave the files in that folder (no test file:
        20% of the training file is held out).

    Raises
    ------
    ValueError
        For a setting out of range, an unknown source, or upload fields that are not the names of
        stored files (a path, another folder) or are given for another source.
    """

    source: str
    epochs: int = 60
    hidden: int = 500
    weight_decay: float = 5.0
    lr: float = 1e-3
    seed: int = 0
    uploader: str = ""
    train_file: str = ""
    test_file: str = ""

    kind: ClassVar[str] = "recommender"

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {self.source!r}")
        check_parameter(self.epochs, "epochs", min_val=1, max_val=10_000)
        self.recommender().check()
        uploaded = (self.uploader, self.train_file, self.test_file)
        if self.source != "upload":
            if any(uploaded):
                raise ValueError(f"only source 'upload' names uploaded files, got {self.source!r} with {uploaded}")
            return
        if not isinstance(self.uploader, str) or not _UPLOADER.fullmatch(self.uploader):
            raise ValueError(f"uploader must be a browser's hashed id (64 hex digits), got {self.uploader!r}")
        for name in (self.train_file, self.test_file or "x-0000000000.data"):
            if not isinstance(name, str) or not STORED_NAME.fullmatch(name):
                raise ValueError(f"an uploaded ratings file is named by the name it was stored under, got {name!r}")

    @property
    def name(self) -> str:
        """Its label in the table of runs."""
        data = self.train_file.rsplit("-", 1)[0] if self.source == "upload" else self.source
        return f"recommender-{data}-{self.epochs}"

    def recommender(self, **options) -> Recommender:
        """An unfitted ``Recommender`` with these settings (``options``: threads, callbacks)."""
        return Recommender(
            hidden=self.hidden,
            epochs=self.epochs,
            weight_decay=self.weight_decay,
            lr=self.lr,
            seed=self.seed,
            **options,
        )

    def ratings(self) -> tuple[Ratings, Ratings]:
        """The training and test ratings, indexed, every budget checked (``index_ratings``).

        Returns
        -------
        tuple of Ratings
            ``(train, test)``; the test ratings are those by known users of known items.

        Raises
        ------
        ValueError
            If a file is missing, not a ratings file or over a limit, or no test rating is usable.
        """
        if self.source == "synthetic":
            return indexed(synthetic_ratings())
        if self.source == "movielens":
            return indexed(*movielens_100k())
        folder = user_data_dir() / self.uploader
        files = [folder / name for name in (self.train_file, self.test_file) if name]
        for path in files:
            if not path.is_file():
                raise ValueError(f"the uploaded ratings file {path.name!r} is no longer on the server: upload it again")
        return indexed(*(read_ratings(path) for path in files))

    def folder(self) -> Path:
        """Where the fitted recommender is saved: named by the ratings and every setting.

        Returns
        -------
        Path
            ``<data folder>/recommenders/<source>-<key>``, or for an upload
            ``<its upload folder>/recommenders/<file>-<key>``.
        """
        key = hashlib.sha256(json.dumps({**self.as_dict(), "format": FORMAT}, sort_keys=True).encode()).hexdigest()
        if self.source == "upload":
            return user_data_dir() / self.uploader / "recommenders" / f"{self.train_file.rsplit('.', 1)[0]}-{key[:16]}"
        return home_dir() / "recommenders" / f"{self.source}-{key[:16]}"

    def shipped_folder(self) -> Path | None:
        """The recommender shipped trained for these ratings and settings, if there is one.

        Returns
        -------
        Path or None
            ``pretrained/recommenders/<source>-<key>`` (the name ``folder`` has), when it holds a
            saved recommender; never for an upload.
        """
        if self.source == "upload":
            return None
        shipped = SHIPPED_RECOMMENDERS / self.folder().name
        return shipped if (shipped / CONFIG).is_file() else None

    def check(self, ratings: tuple[Ratings, Ratings] | None = None) -> None:
        """Everything verified before the run is queued: the ratings' budgets and the model's size.

        Parameters
        ----------
        ratings : tuple of Ratings, optional
            ``self.ratings()`` when already read.

        Raises
        ------
        ValueError
        """
        train, _ = ratings or self.ratings()
        self.recommender().check(train)

    def run(self, out: str | Path, *, threads=None, stop_event=None, on_batch=None, on_epoch=None, **_) -> dict:
        """Train and save the recommender into ``out`` (in the queue's worker process).

        A recommender already saved there is not trained again; one stopped before its last epoch
        is not saved.

        Parameters
        ----------
        out : str or Path
            ``self.folder()``.
        threads, stop_event, on_batch
            Passed to ``Recommender``.
        on_epoch : callable, optional
            Receives each epoch's numbers as a dict.

        Returns
        -------
        dict
            JSON-able: ``out``, ``stopped`` ("completed" or "stop_event"), ``epochs_run``, ``seconds``,
            and the test ``rmse`` of AutoRec and the baselines (not when stopped).
        """
        started = time.monotonic()
        train, test = self.ratings()
        fitted = load_recommender(self, train, out)
        epochs = [0]

        def epoch(info) -> None:
            epochs[0] = info.epoch
            if on_epoch is not None:
                on_epoch(vars(info))

        if fitted is None:
            fitted = self.recommender(threads=threads, on_batch=on_batch, on_epoch=epoch, stop_event=stop_event)
            fitted.fit(train)
            if stop_event is not None and stop_event.is_set():
                seconds = round(time.monotonic() - started, 2)
                return {"out": str(out), "stopped": "stop_event", "epochs_run": epochs[0], "seconds": seconds}
            save_recommender(fitted, self, out)
        return {
            "out": str(out),
            "stopped": "completed",
            "epochs_run": epochs[0],
            "seconds": round(time.monotonic() - started, 2),
            "rmse": fitted.rmse(test),
        }

    def as_dict(self) -> dict[str, Any]:
        """The request as a JSON-able dict (what ``from_dict`` reads)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RecommenderRequest:
        """Read what ``as_dict`` wrote.

        Raises
        ------
        ValueError
            For an unknown field, or as the constructor does.
        """
        unknown = sorted(set(values) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown recommender request field(s) {unknown}")
        return cls(**values)


def save_recommender(fitted: Recommender, request: RecommenderRequest, out: str | os.PathLike) -> Path:
    """Save a fitted recommender's AutoRec as a checkpoint folder (atomically, no pickle), with the
    request and a fingerprint of its training ratings in ``config.json``.

    Parameters
    ----------
    fitted : Recommender
    request : RecommenderRequest
    out : str or PathLike

    Returns
    -------
    Path
        ``out``.
    """
    extra = {"recommender": {"request": request.as_dict(), "ratings": fingerprint(fitted.train_)}}
    return save_checkpoint(fitted.model_, out, extra=extra)


def load_recommender(request: RecommenderRequest, train: Ratings, out: str | os.PathLike | None = None):
    """The recommender saved for ``request`` (in ``out``, default ``request.folder()``), or None.

    Parameters
    ----------
    request : RecommenderRequest
    train : Ratings
        Its training ratings (``request.ratings()[0]``).
    out : str or PathLike, optional

    Returns
    -------
    Recommender or None
        Fitted; None when nothing is saved there, or what is saved was trained on other ratings.

    Raises
    ------
    ValueError
        If the saved folder is damaged (``CheckpointError``).
    """
    out = Path(out or request.folder())
    if not (out / CONFIG).is_file():
        return None
    checkpoint = load_folder(out)
    saved = checkpoint.config.get("extra", {}).get("recommender", {})
    if saved.get("request") != request.as_dict() or saved.get("ratings") != fingerprint(train):
        return None
    return request.recommender().use_model(checkpoint.model, train)


def fingerprint(ratings: Ratings) -> str:
    """A hash of the ratings' users, items and values (which ratings a saved recommender was trained on)."""
    digest = hashlib.sha256()
    for array in (ratings.users, ratings.items, ratings.ratings):
        digest.update(array.astype("<f8" if array is ratings.ratings else "<i8").tobytes())
    return digest.hexdigest()
