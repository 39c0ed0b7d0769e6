"""The gallery file: enrolled people, their walks' vectors and the fitted classifier.

On disk a gallery is a signed envelope (:mod:`gaitcli.gallery.signing`) around a joblib
payload, a dict of plain values and arrays:

* ``format`` (``"gaitcli-gallery"``) and ``version`` (:data:`GALLERY_VERSION`);
* ``model_fingerprint``, ``feature_space`` and ``dim`` of the gait model that made the vectors,
  and ``default_threshold``, the model's own open-set threshold for galleries with one walk per
  person (None when the model has none; see :mod:`gaitcli.gallery.classifier`);
* ``pose_engine``: what found the joints of the walks embedded from video (``"blazepose,
  flip-averaged"`` or ``"blazepose"``; absent or None until such a walk is enrolled);
* ``created`` and ``updated`` (ISO 8601, UTC);
* ``names`` (one per person) and, per walk, ``vectors`` (N, D) float32, ``labels`` (N,)
  (index into ``names``), ``sources`` and ``enrolled`` (timestamps) — these two as one string
  each, the walks' entries separated by NUL (tens of thousands of small strings are slow to
  pickle one by one);
* ``classifier``: the fitted SVMs and threshold (:class:`~gaitcli.gallery.classifier.Model`);
* ``cameras`` (optional): per camera name, the mean of walks that camera saw, for identifying
  walks from it (:mod:`gaitcli.gallery.cameras`; ``gaitcli gallery camera``).

The vectors are kept so that the SVMs can be refit (on every change) and the gallery
migrated. Writes are atomic and signed; :func:`editing` wraps read-modify-write in an
exclusive lock so that concurrent enrolls all land.
"""

from __future__ import annotations

import functools
import io
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from gaitcli.atomic import atomic_write, exclusive_lock, remove_stale_temps
from gaitcli.errors import GalleryError, InputError, is_control
from gaitcli.gallery import classifier
from gaitcli.gallery.cameras import CameraProfile, to_reference, unit_mean
from gaitcli.gallery.signing import open_envelope, seal
from gaitcli.io.paths import LOOP, link_problem

GALLERY_FORMAT = "gaitcli-gallery"
GALLERY_VERSION = 1
UNKNOWN = "unknown"  # the name identify gives a walker who matches nobody


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Candidate:
    """One enrolled person and the probe's score against them."""

    name: str
    score: float


@dataclass
class Identification:
    """The answer for one probe: ``name`` is the best person, or ``"unknown"`` below ``threshold``."""

    name: str
    score: float
    threshold: float
    candidates: list[Candidate]


@dataclass
class Gallery:
    """Enrolled people and their walks, for one gait model (see the module doc for the fields)."""

    model_fingerprint: str
    feature_space: str
    dim: int
    names: list[str] = field(default_factory=list)
    vectors: np.ndarray | None = None
    labels: np.ndarray | None = None
    sources: list[str] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)
    created: str = field(default_factory=_now)
    updated: str = ""
    model: classifier.Model | None = None
    signed: bool = True  # False when loaded with trust from an unsigned or foreign file
    default_threshold: float | None = None  # the gait model's threshold for when the gallery cannot calibrate
    pose_engine: str | None = None  # what found the joints of its walks from video; None until known
    score_blocks: Any = None  # the gait model's blocks its classifier scores apart; None: the whole vector
    cameras: dict[str, CameraProfile] = field(default_factory=dict)  # other cameras' walk means (gallery.cameras)

    def __post_init__(self) -> None:
        if self.vectors is None:
            self.vectors = np.zeros((0, self.dim), dtype=np.float32)
        if self.labels is None:
            self.labels = np.zeros(0, dtype=np.int32)
        if not self.updated:
            self.updated = self.created
        self.score_blocks = None if self.score_blocks is None else classifier.check_blocks(self.score_blocks, self.dim)
        if self.model is None:
            self.model = classifier.fit(self.vectors, self.labels, len(self.names), default_threshold=self.default_threshold,
                                        blocks=self.score_blocks)

    # --- contents ------------------------------------------------------------------

    @property
    def n_walks(self) -> int:
        """How many walks are enrolled, over all people."""
        return len(self.labels)

    def walk_counts(self) -> dict[str, int]:
        """Walks per person, in enrolment order."""
        counts = np.bincount(self.labels, minlength=len(self.names))
        return {name: int(count) for name, count in zip(self.names, counts)}

    def people(self) -> list[dict]:
        """One record per person: name, walks, first and last enrolment time."""
        first: list[str] = [""] * len(self.names)
        last: list[str] = [""] * len(self.names)
        for label, stamp in zip(self.labels.tolist(), self.enrolled):  # ISO 8601 UTC: sorts as text
            first[label] = min(first[label], stamp) if first[label] else stamp
            last[label] = max(last[label], stamp)
        counts = self.walk_counts()
        return [
            {"name": name, "walks": counts[name], "first_enrolled": first[i], "last_enrolled": last[i]}
            for i, name in enumerate(self.names)
        ]

    def holders(self, vectors: np.ndarray) -> list[set[str]]:
        """For each of ``vectors`` (M, D), the people already holding that very walk (see :func:`same_walks`)."""
        return [{self.names[self.labels[row]] for row in rows} for rows in same_walks(vectors, self.vectors)]

    def check_compatible(self, model_fingerprint: str, feature_space: str, dim: int, *, what: str,
                         pose_engine: str | None = None, score_blocks: Any = ...) -> None:
        """Refuse vectors of another gait model, or of another setting of the pose engine when both
        are known (never mix them into or match them against this gallery); with ``score_blocks``
        (what the vectors' file says the model scores apart), vectors whose file says otherwise than
        the gallery of that model (``InputError``: the file was edited)."""
        if (model_fingerprint, feature_space) != (self.model_fingerprint, self.feature_space) or dim != self.dim:
            shipped = shipped_model_name(self.model_fingerprint)
            advice = (f"embed the walks with the gallery's model (gaitcli embed --gait-checkpoint {shipped} --out WALK.npy) "
                      "and give the .npy files" if shipped and shipped != "default"
                      else "re-enroll everyone into a new gallery with the current model")
            raise GalleryError(
                f"{what} come from gait model {model_fingerprint} ({feature_space}, {dim}-d) but the gallery was made "
                f"by {self.model_fingerprint} ({self.feature_space}, {self.dim}-d"
                f"{f', the shipped {shipped} model' if shipped else ''}); vectors of different models cannot be compared: {advice}"
            )
        if score_blocks is not ... and classifier.check_blocks(score_blocks, dim) != self.model.blocks:
            raise InputError(
                f"{what} say their gait model {model_fingerprint[:12]} scores {_blocks_text(score_blocks, dim)}, but the "
                f"gallery of that model scores {_blocks_text(self.model.blocks, dim)}; their vectors file was edited or "
                "damaged: re-run `gaitcli embed --out`"
            )
        if pose_engine and self.pose_engine and pose_engine != self.pose_engine:
            raise GalleryError(
                f"{what} were embedded with the pose engine '{pose_engine}' but the gallery's walks with "
                f"'{self.pose_engine}'; their joint errors differ, so the vectors are not comparable: embed them as the "
                "gallery's were (gaitcli embed --flip-average / --no-flip-average) or use another gallery"
            )

    # --- changes ---------------------------------------------------------------------

    def add(self, name: str, vectors: np.ndarray, sources: Sequence[str], *, pose_engine: str | None = None) -> int:
        """Enroll ``vectors`` (N, D) as walks of ``name`` and refit; returns how many walks ``name`` has."""
        return self.add_walks([name] * len(vectors), vectors, sources, pose_engine=pose_engine)[name]

    def add_walks(self, names: Sequence[str], vectors: np.ndarray, sources: Sequence[str], *,
                  pose_engine: str | None = None) -> dict[str, int]:
        """Enroll many walks at once (one name and source per row), refit once; walks per name after.
        ``pose_engine`` (what found their joints, when known) becomes the gallery's if it has none yet;
        :meth:`check_compatible` refuses another."""
        vectors = _usable_vectors(vectors, "enrolled")
        if vectors.shape[1] != self.dim or len(vectors) != len(names) or len(sources) != len(names) or not len(names):
            raise ValueError(f"need one name and source per {self.dim}-d vector; got {vectors.shape}, {len(names)}, {len(sources)}")
        for name in set(names):
            validate_name(name)
        index = {name: i for i, name in enumerate(self.names)}
        old_count = len(self.names)
        for name in names:
            if name not in index:
                index[name] = len(self.names)
                self.names.append(name)
        new_labels = np.array([index[name] for name in names], dtype=np.int32)
        previous = self.model.reindexed(list(range(old_count)) + [-1] * (len(self.names) - old_count))
        stamp = _now()
        self.vectors = np.concatenate([self.vectors, vectors])
        self.labels = np.concatenate([self.labels, new_labels])
        self.sources.extend(str(s).replace("\0", "") for s in sources)  # NUL separates them on disk
        self.enrolled.extend([stamp] * len(names))
        self.pose_engine = self.pose_engine or pose_engine
        self._refit(previous, changed=np.unique(new_labels), touched=vectors)
        counts = self.walk_counts()
        return {name: counts[name] for name in dict.fromkeys(names)}

    def remove(self, names: Sequence[str]) -> int:
        """Remove these people and all their walks, and refit; returns how many walks were removed."""
        missing = [name for name in names if name not in self.names]
        if missing:
            held = ", ".join(self.names) if self.names else "nobody"
            raise InputError(f"not in the gallery: {', '.join(missing)} (it holds: {held})")
        gone = {self.names.index(name) for name in names}
        drop = np.isin(self.labels, list(gone))
        kept_people = [i for i in range(len(self.names)) if i not in gone]
        renumber = np.full(len(self.names), -1, dtype=np.int32)
        renumber[kept_people] = np.arange(len(kept_people), dtype=np.int32)
        touched = self.vectors[drop]
        previous = self.model.reindexed(kept_people)
        self.names = [self.names[i] for i in kept_people]
        self.vectors = self.vectors[~drop]
        self.labels = renumber[self.labels[~drop]]
        self.sources = [s for s, d in zip(self.sources, drop) if not d]
        self.enrolled = [t for t, d in zip(self.enrolled, drop) if not d]
        self._refit(previous, changed=(), touched=touched)
        return int(drop.sum())

    def _refit(self, previous: classifier.Model, *, changed, touched) -> None:
        self.model = classifier.fit(self.vectors, self.labels, len(self.names), previous=previous, changed=changed,
                                    touched=touched, default_threshold=self.default_threshold, blocks=self.score_blocks)
        self.updated = _now()

    def add_camera_walks(self, camera: str, vectors: np.ndarray) -> CameraProfile:
        """Fold walks seen by ``camera`` (anyone's, no names needed) into its profile; returns it."""
        validate_name(camera, what="camera name")
        vectors = _usable_vectors(vectors, "camera")
        if vectors.shape[1] != self.dim or not len(vectors):
            raise ValueError(f"need {self.dim}-d vectors; got {vectors.shape}")
        stamp = _now()
        known = self.cameras.get(camera)
        self.cameras[camera] = known.added(vectors, stamp) if known else CameraProfile.of(vectors, stamp)
        self.updated = stamp
        return self.cameras[camera]

    def remove_camera(self, camera: str) -> None:
        """Forget a camera's profile."""
        if camera not in self.cameras:
            raise InputError(f"no camera {camera!r} in the gallery (it has: {', '.join(self.cameras) or 'none'})")
        del self.cameras[camera]
        self.updated = _now()

    def camera_profile(self, camera: str, *, path: str | os.PathLike = "GALLERY") -> CameraProfile:
        """The profile of ``camera``; an unknown name is an :class:`InputError` naming the known ones
        (and the command that adds it to the gallery at ``path``)."""
        validate_name(camera, what="camera name")
        if camera not in self.cameras:
            import shlex

            have = ", ".join(self.cameras) if self.cameras else "none yet"
            raise InputError(f"the gallery has no camera {camera!r} (it has: {have}); add one with "
                             f"`gaitcli gallery camera {shlex.quote(camera)} WALK... --gallery {shlex.quote(str(path))}`")
        return self.cameras[camera]

    def from_camera(self, vectors: np.ndarray, camera: str) -> np.ndarray:
        """``vectors`` seen by ``camera`` moved into the gallery's own camera (:mod:`gaitcli.gallery.cameras`)."""
        if not self.n_walks:
            raise GalleryError("the gallery is empty: enroll someone first (gaitcli enroll)")
        return to_reference(vectors, self.camera_profile(camera).mean, unit_mean(self.vectors))

    # --- identification ----------------------------------------------------------------

    def score_table(self, probes: np.ndarray, *, camera: str | None = None) -> np.ndarray:
        """(probes, people) scores of every probe vector for every enrolled person, in :attr:`names`
        order; ``camera``: the probes were seen by this camera of :attr:`cameras`, not the gallery's."""
        if not self.names:
            raise GalleryError("the gallery is empty: enroll someone first (gaitcli enroll)")
        probes = _usable_vectors(probes, "identified")
        if probes.shape[1] != self.dim:
            raise GalleryError(f"probe vectors are {probes.shape[1]}-d but the gallery holds {self.dim}-d vectors")
        if camera is not None:
            probes = self.from_camera(probes, camera)
        return classifier.scores(self.model, self.vectors, self.labels, probes)

    def identify(self, probes: np.ndarray, *, top_k: int = 3, threshold: float | None = None,
                 camera: str | None = None) -> list[Identification]:
        """Best person (or ``"unknown"``) and the top-``k`` candidates for every probe vector;
        ``camera``: the probes were seen by this camera of :attr:`cameras`, not the gallery's."""
        threshold = self.model.threshold if threshold is None else float(threshold)
        if not np.isfinite(threshold):
            raise InputError(f"the threshold must be a finite number, not {threshold}")
        table = self.score_table(probes, camera=camera)
        k = max(1, min(int(top_k), table.shape[1]))
        top = np.argpartition(-table, k - 1, axis=1)[:, :k] if k < table.shape[1] else np.argsort(-table, axis=1)
        answers = []
        for row, columns in zip(table, top):
            columns = columns[np.argsort(-row[columns], kind="stable")]
            candidates = [Candidate(self.names[c], float(row[c])) for c in columns]
            best = candidates[0]
            name = best.name if best.score >= threshold else UNKNOWN
            answers.append(Identification(name, best.score, threshold, candidates))
        return answers

    # --- file ----------------------------------------------------------------------------

    def to_payload(self) -> dict:
        """The dict stored (signed) in the gallery file."""
        return {
            "format": GALLERY_FORMAT,
            "version": GALLERY_VERSION,
            "model_fingerprint": self.model_fingerprint,
            "feature_space": self.feature_space,
            "dim": self.dim,
            "default_threshold": self.default_threshold,
            "score_blocks": None if self.score_blocks is None else [list(block) for block in self.score_blocks],
            "pose_engine": self.pose_engine,
            "created": self.created,
            "updated": self.updated,
            "names": list(self.names),
            "vectors": np.ascontiguousarray(self.vectors, dtype=np.float32),
            "labels": np.ascontiguousarray(self.labels, dtype=np.int32),
            "sources": "\0".join(self.sources),
            "enrolled": "\0".join(self.enrolled),
            "classifier": self.model.to_dict(),
            "cameras": {name: profile.to_dict() for name, profile in self.cameras.items()},
        }

    @classmethod
    def from_payload(cls, payload: object, *, signed: bool = True) -> "Gallery":
        """Rebuild a gallery from :meth:`to_payload`'s dict; raises ``ValueError`` when malformed."""
        if not isinstance(payload, dict) or payload.get("format") != GALLERY_FORMAT:
            raise ValueError("not a gaitcli gallery")
        version = payload.get("version")
        if not isinstance(version, int) or version > GALLERY_VERSION:
            raise _NewerFormat(version)
        vectors = np.asarray(payload["vectors"], dtype=np.float32)
        labels = np.asarray(payload["labels"], dtype=np.int32)
        names = [str(n) for n in payload["names"]]
        dim = int(payload["dim"])
        n = len(labels)
        sources, enrolled = (payload[key].split("\0") if n else [] for key in ("sources", "enrolled"))
        if vectors.shape != (n, dim) or len(sources) != n or len(enrolled) != n:
            raise ValueError("inconsistent walk arrays")
        if n and (labels.min() < 0 or labels.max() >= len(names)) or len(set(names)) != len(names):
            raise ValueError("inconsistent names")
        model = classifier.Model.from_dict(payload["classifier"])
        gallery = cls(
            model_fingerprint=str(payload["model_fingerprint"]),
            feature_space=str(payload["feature_space"]),
            dim=dim,
            names=names,
            vectors=vectors,
            labels=labels,
            sources=sources,
            enrolled=enrolled,
            created=str(payload["created"]),
            updated=str(payload["updated"]),
            model=model,
            signed=signed,
            default_threshold=_optional_float(payload.get("default_threshold")),
            score_blocks=payload.get("score_blocks") or None,
            pose_engine=str(payload["pose_engine"]) if payload.get("pose_engine") else None,
            cameras={str(name): CameraProfile.from_dict(profile, dim) for name, profile in (payload.get("cameras") or {}).items()},
        )
        if model.version != classifier.CLASSIFIER_VERSION or model.blocks != classifier.check_blocks(gallery.score_blocks, dim):
            # migrate: refit from the kept vectors
            gallery.model = classifier.fit(vectors, labels, len(names), default_threshold=gallery.default_threshold,
                                           blocks=gallery.score_blocks)
        return gallery


def same_walks(vectors: np.ndarray, known: np.ndarray, *, block: int = 4096) -> list[list[int]]:
    """For each row of ``vectors``, the rows of ``known`` equal to it in every component (within
    :data:`~gaitcli.constants.SAME_WALK_TOLERANCE`): the same walk again. Compared ``block`` rows
    at a time, so memory stays bounded for large galleries."""
    from gaitcli.constants import SAME_WALK_TOLERANCE

    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    known = np.atleast_2d(np.asarray(known, dtype=np.float32))
    found: list[list[int]] = [[] for _ in range(len(vectors))]
    if not known.size or not vectors.size:
        return found
    squares = (vectors * vectors).sum(1)
    for start in range(0, len(known), block):
        part = known[start : start + block]
        for first in range(0, len(vectors), block):
            probe = vectors[first : first + block]
            # squared distances through one matrix product; the near-zero ones are checked exactly
            d2 = (part * part).sum(1)[:, None] + squares[None, first : first + block] - 2.0 * part @ probe.T
            for row, column in zip(*np.nonzero(d2 <= 1e-4)):
                if np.max(np.abs(part[row] - probe[column])) <= SAME_WALK_TOLERANCE:
                    found[first + column].append(start + int(row))
    return found


def _usable_vectors(vectors, what: str) -> np.ndarray:
    """``vectors`` as a (N, D) float32 array; :class:`InputError` for a zero or non-finite row."""
    with np.errstate(over="ignore"):  # float64 values beyond float32 become inf: refused below
        array = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    if not np.all(np.isfinite(array)) or not np.all(np.abs(array).max(axis=1, initial=0.0) > 0):
        raise InputError(f"an identification vector to be {what} is zero or not finite; re-run the embedding")
    return array


def _blocks_text(blocks, dim: int) -> str:
    blocks = classifier.check_blocks(blocks, dim)
    return "the whole vector" if len(blocks) == 1 else f"{len(blocks)} blocks apart"


def _optional_float(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # ValueError / TypeError: malformed
    if not np.isfinite(number):
        raise ValueError("default threshold is not finite")
    return number


class _NewerFormat(Exception):
    def __init__(self, version) -> None:
        super().__init__(f"format version {version}")
        self.version = version


def validate_name(name: str, *, what: str = "name") -> str:
    """A person's (or camera's) name as given, or :class:`InputError` (empty, with control characters such as
    ANSI escapes or line breaks (:func:`gaitcli.errors.is_control`), or the reserved ``unknown``)."""
    if not isinstance(name, str) or not name.strip() or name != name.strip() or any(is_control(ch) for ch in name):
        raise InputError(f"invalid {what} {name!r}: use a non-empty, one-line name without leading or trailing spaces "
                         "or control characters")
    from gaitcli.constants import MAX_NAME_LENGTH

    if len(name) > MAX_NAME_LENGTH:
        raise InputError(f"invalid {what}: {len(name)} characters; use at most {MAX_NAME_LENGTH}")
    if name.lower() == UNKNOWN and what == "name":
        raise InputError(f"{name!r} is reserved for walkers who match nobody; choose another name")
    return name


def check_gallery_path(path: str | os.PathLike, *, name: str | None = None) -> Path:
    """``path`` when it can be a gallery: a name ending in ``.gallery`` (:data:`GALLERY_SUFFIX`),
    or an existing gallery file of another name. Anything else is a :class:`GalleryError` that
    names the likely slip: ``--gallery`` and ``--name`` swapped (``name``: the ``--name`` given),
    or a walk given as the gallery."""
    from gaitcli.constants import GALLERY_SUFFIX
    from gaitcli.gallery.signing import MAGIC
    from gaitcli.io.walk_files import walk_kind

    path = Path(path)
    if path.suffix.lower() == GALLERY_SUFFIX:
        return path
    if path.is_file():
        try:
            with path.open("rb") as handle:
                if handle.read(len(MAGIC)) == MAGIC:
                    return path
        except OSError:
            pass
    if name is not None and name.lower().endswith(GALLERY_SUFFIX):
        raise GalleryError(f"--gallery {path} is not a gallery file name and --name {name} is: did you swap them? "
                           f"(gaitcli enroll --gallery {name} --name {path} ...)")
    if walk_kind(path) is not None:
        raise GalleryError(f"--gallery {path} is a walk, not a gallery: give the gallery file (e.g. people{GALLERY_SUFFIX}) "
                           "after --gallery and the walks as arguments")
    what = "is not a gallery file" if path.exists() else f"does not end in {GALLERY_SUFFIX}"
    raise GalleryError(f"--gallery {path} {what}: gallery files are named like people{GALLERY_SUFFIX}")


def load_gallery(path: str | os.PathLike, *, trust: bool = False) -> Gallery:
    """Read and verify a gallery file.

    Raises :class:`GalleryError` when the file is missing, truncated, corrupt, not a gallery,
    of a newer format, or unsigned/tampered (unless ``trust``; see :mod:`gaitcli.gallery.signing`).
    Nothing is unpickled before the signature has been checked, and then only by
    :func:`gaitcli.gallery.safe_pickle.load`, which builds arrays and plain values and nothing
    else: ``trust`` waives the signature check, never that.
    """
    from gaitcli.gallery import safe_pickle

    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GalleryError(f"no gallery at {path}; create one with `gaitcli enroll --gallery {path} --name NAME INPUT...`") from None
    except IsADirectoryError:
        raise GalleryError(f"{path} is a directory, not a gallery file") from None
    except OSError as exc:  # a symbolic link loop, no permission, ...
        raise GalleryError(f"gallery {path} {link_problem(path) or f'cannot be read ({exc.strerror or exc})'}") from None
    if not data:
        raise GalleryError(f"gallery {path} is empty (0 bytes); restore it from a backup, or move it aside and enroll again")
    payload, signed = open_envelope(data, trust=trust, where=f"gallery {path}")
    try:
        content = safe_pickle.load(payload)  # never runs anything the file names, signed or not
        return Gallery.from_payload(content, signed=signed)
    except safe_pickle.UnsafePickleError as exc:
        raise GalleryError(f"gallery {path} is not a gaitcli gallery and was not loaded: {exc}") from None
    except _NewerFormat as exc:
        raise GalleryError(f"gallery {path} was written by a newer gaitcli (format version {exc.version}); upgrade gaitcli") from None
    except Exception as exc:  # anything an unreadable pickle or a malformed dict can raise
        raise GalleryError(
            f"gallery {path} is corrupt or not a gaitcli gallery ({type(exc).__name__}); restore it from a backup, or move it aside and enroll again"
        ) from None


def gallery_target(path: str | os.PathLike) -> Path:
    """The file a gallery path names: symbolic links followed to their target (which need not
    exist yet); a link loop is a :class:`GalleryError`."""
    path = Path(path)
    problem = link_problem(path)
    if problem == LOOP:
        raise GalleryError(f"gallery {path} {problem}")
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def save_gallery(gallery: Gallery, path: str | os.PathLike) -> None:
    """Write ``gallery`` to ``path``: signed with this user's key, atomically, readable by the user only."""
    import joblib

    buffer = io.BytesIO()
    joblib.dump(gallery.to_payload(), buffer)
    atomic_write(Path(path), seal(buffer.getvalue()), mode=0o600)
    gallery.signed = True


@contextmanager
def editing(
    path: str | os.PathLike, *, trust: bool = False, create: Callable[[], Gallery] | None = None
) -> Iterator[Gallery]:
    """Read-modify-write a gallery under an exclusive lock, saving it when the block succeeds.

    The lock (``<path>.lock``) serialises concurrent writers, so every change lands. When the
    file does not exist, ``create()`` makes the new gallery (or it is a :class:`GalleryError`).
    A symbolic link is written through: its target is locked (``<target>.lock``, the lock every
    other path to that file takes too) and replaced, and the link stays a link.
    """
    path = gallery_target(path)
    if not path.parent.is_dir():
        raise GalleryError(f"folder {path.parent} does not exist; create it first or choose another --gallery path")
    if create is None and not path.exists():
        load_gallery(path, trust=trust)  # says there is no gallery, before a lock file is made beside it
    with exclusive_lock(path):
        remove_stale_temps(path)  # left by a writer that was killed; we hold the lock, nobody is writing
        if path.exists() or create is None:
            gallery = load_gallery(path, trust=trust)
        else:
            gallery = create()
        yield gallery
        save_gallery(gallery, path)


def shipped_model_name(fingerprint: str) -> str | None:
    """The name of the packaged gait model (``--gait-checkpoint NAME``) with this fingerprint, if any."""
    known = _packaged_models().get(fingerprint)
    return known[0] if known else None


def shipped_score_blocks(fingerprint: str):
    """``(name, blocks)`` of the packaged gait model with this fingerprint (``blocks``: what its
    galleries score apart, :func:`classifier.check_blocks` form), or None for any other model."""
    return _packaged_models().get(fingerprint)


@functools.lru_cache(maxsize=1)
def _packaged_models() -> dict:
    from gaitcli.gait.checkpoint import GaitCheckpoint
    from gaitcli.gait.model import PACKAGED_MODELS, packaged_model_path

    found = {}
    for name in PACKAGED_MODELS:
        try:
            checkpoint = GaitCheckpoint.load(packaged_model_path(name))
        except Exception:  # a missing or damaged packaged file only loses the hint
            continue
        blocks = checkpoint.head.score_blocks() if checkpoint.head is not None else None
        found[checkpoint.fingerprint] = (name, classifier.check_blocks(blocks, checkpoint.identification_size))
    return found
