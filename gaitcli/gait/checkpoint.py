"""gaitcli's own gait checkpoint: one ``.npz`` file, loadable without TensorFlow.

The file is an uncompressed NumPy ``.npz`` archive (read with ``allow_pickle=False``):

* one float32 array per weight, named as in :mod:`gaitcli.gait.architecture`
  (``stem/kernel``, ``rnn_0/recurrent_kernel``, ...);
* ``meta``: a JSON string ``{"format": "gaitcli-gait", "format_version": 1 or 2, "architecture":
  {...}, "feature_space": "seed-ir-v1" | "joint-maps-v2" | ..., "training": {...},
  "head": {...}, "fingerprint": "<sha256 hex>"}`` (``head`` and version 2 only for a model
  with a discriminant head, whose arrays ``head/mean``, ``head/scale``, ``head/projection`` sit beside
  the weights; see :mod:`gaitcli.gait.discriminant`).

The fingerprint is a SHA-256 over the architecture (canonical JSON) and every weight (name,
shape and float32 bytes, in name order), then the head's metadata and arrays when there is a
head: it identifies the model (galleries record it) and loading recomputes it, so a corrupt or
edited file is refused instead of giving wrong vectors.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from gaitcli.atomic import atomic_output
from gaitcli.constants import FEATURE_SPACE_JOINT_MAPS, FEATURE_SPACE_SEED_IR
from gaitcli.errors import InputError, ModelError
from gaitcli.gait.architecture import GaitConfig, check_weights, weight_shapes
from gaitcli.gait.discriminant import DiscriminantHead

FORMAT = "gaitcli-gait"
FORMAT_VERSION = 2  # 2: may carry a discriminant head (files without one are still written as 1)
META_KEY = "meta"

#: What each known feature space is, for messages.
FEATURE_SPACE_NAMES = {
    FEATURE_SPACE_SEED_IR: "the seed HumanPoseIRNetwork's learned features",
    FEATURE_SPACE_JOINT_MAPS: "gaitcli's joint maps",
}


def describe_feature_space(space: str) -> str:
    """``"gaitcli's joint maps (joint-maps-v2)"`` and the like."""
    name = FEATURE_SPACE_NAMES.get(space)
    return f"{name} ({space})" if name else space


def compute_fingerprint(config: GaitConfig, weights: Mapping[str, np.ndarray], head: DiscriminantHead | None = None) -> str:
    """SHA-256 (hex) over the architecture and all weights (name, shape, float32 bytes), then the
    head's metadata and arrays (a model without a head hashes as before heads existed)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":")).encode())
    arrays = dict(weights)
    if head is not None:
        digest.update(json.dumps(head.meta(), sort_keys=True, separators=(",", ":")).encode())
        arrays.update(head.arrays())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name], dtype="<f4")
        digest.update(f"\n{name}:{','.join(map(str, array.shape))}\n".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def looks_like_gait_checkpoint(path: str | Path) -> bool:
    """Whether ``path`` is a zip archive (as a gaitcli ``.npz`` is) rather than a TF-1 checkpoint."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False


@dataclass(frozen=True, eq=False)
class GaitCheckpoint:
    """A gait network's weights with what is needed to use them safely.

    Build one with :meth:`create` (computes the fingerprint) or :meth:`load`.
    """

    config: GaitConfig
    weights: Mapping[str, np.ndarray] = field(repr=False)
    feature_space: str
    training: Mapping[str, Any]
    fingerprint: str
    head: DiscriminantHead | None = None

    @classmethod
    def create(
        cls,
        config: GaitConfig,
        weights: Mapping[str, np.ndarray],
        feature_space: str,
        training: Mapping[str, Any] | None = None,
        head: DiscriminantHead | None = None,
    ) -> "GaitCheckpoint":
        """Check ``weights`` (and ``head``) against ``config`` and fingerprint them.

        ``training`` is free JSON describing where the weights come from (data, seed,
        epochs, accuracy, or the converted file). Raises ``ValueError`` on bad arguments.
        """
        if not isinstance(feature_space, str) or not feature_space.strip():
            raise ValueError("feature_space must be a non-empty string such as 'joint-maps-v2'")
        training = dict(training or {})
        json.dumps(training)  # must be JSON (raises TypeError otherwise)
        checked = check_weights(config, weights)
        _check_head(config, feature_space, head)
        return cls(config, checked, feature_space, training, compute_fingerprint(config, checked, head), head)

    @property
    def identification_size(self) -> int:
        """Width of the identification vector: the head's output, else the network's."""
        return self.head.output_size if self.head is not None else self.config.identification_size

    def describe(self) -> str:
        """``GRU-1`` or ``GRU-1 + discriminant head 24 (...)``."""
        return self.config.describe() + (f" + {self.head.describe()}" if self.head is not None else "")

    @property
    def short_fingerprint(self) -> str:
        """The first 12 hex digits of the fingerprint, for display."""
        return self.fingerprint[:12]

    def meta(self) -> dict[str, Any]:
        """The JSON ``meta`` entry of the file."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION if self.head is not None else 1,  # older gaitcli reads these
            "architecture": self.config.to_dict(),
            "feature_space": self.feature_space,
            "training": dict(self.training),
            **({"head": self.head.meta()} if self.head is not None else {}),
            "fingerprint": self.fingerprint,
        }

    def require(self, feature_space: str) -> None:
        """Refuse (ModelError) to run on spatial features of another space than trained on."""
        if feature_space != self.feature_space:
            raise ModelError(
                f"this gait model ({self.describe()}, {self.short_fingerprint}) was trained on "
                f"{describe_feature_space(self.feature_space)}, but the pose engine gives "
                f"{describe_feature_space(feature_space)}; use a gait model trained on {feature_space} "
                f"or a pose engine that gives {self.feature_space}"
            )

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the checkpoint atomically (a temporary file renamed into place).

        An existing ``path`` is an :class:`~gaitcli.errors.InputError` unless ``overwrite``;
        on any failure the previous file, if any, is left as it was.
        """
        path = Path(path)
        if path.is_dir():
            raise InputError(f"{path} is a directory; give a file name for the gait checkpoint")
        if path.exists() and not overwrite:
            raise InputError(f"{path} already exists; pass --force to overwrite it")
        if not path.parent.is_dir():
            raise InputError(f"folder {path.parent} does not exist; create it first")
        arrays = {META_KEY: np.array(json.dumps(self.meta(), sort_keys=True))}
        arrays.update(self.weights)
        if self.head is not None:
            arrays.update(self.head.arrays())
        with atomic_output(path, mode=None) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "GaitCheckpoint":
        """Read and verify a checkpoint written by :meth:`save`.

        A missing path is an :class:`~gaitcli.errors.InputError`; a file that is not a gaitcli
        gait checkpoint, is truncated, corrupt, from a newer gaitcli or fails its fingerprint
        is a :class:`~gaitcli.errors.ModelError`. Never unpickles anything.
        """
        path = Path(path)
        if not path.exists():
            raise InputError(f"gait checkpoint not found: {path}")
        if path.is_dir():
            raise InputError(f"gait checkpoint path is a directory: {path}")
        if not looks_like_gait_checkpoint(path):
            raise ModelError(
                f"{path} is not a gaitcli gait checkpoint (.npz); convert a seed TF-1 checkpoint with "
                "`gaitcli convert CKPT OUT.npz` first"
            )
        try:
            with np.load(path, allow_pickle=False) as archive:
                if META_KEY not in archive.files:
                    raise ModelError(f"{path} is a .npz file but not a gaitcli gait checkpoint (no '{META_KEY}' entry)")
                meta = json.loads(str(archive[META_KEY]))
                config = _config_from_meta(path, meta)
                expected = weight_shapes(config)
                head_shapes = _head_shapes(path, meta)
                extra = sorted(set(archive.files) - set(expected) - set(head_shapes) - {META_KEY})
                if extra:
                    raise ModelError(f"gait checkpoint {path} has an unexpected entry {extra[0]}; the file is corrupt")
                missing = [n for n in expected if n not in archive.files]
                if missing:
                    raise ModelError(f"gait checkpoint {path} lacks weight {missing[0]}; the file is corrupt")
                missing = [n for n in head_shapes if n not in archive.files]
                if missing:
                    raise ModelError(f"gait checkpoint {path} lacks head array {missing[0]}; the file is corrupt")
                weights = {name: archive[name] for name in expected}
                head_arrays = {name: archive[name] for name in head_shapes}
        except ModelError:
            raise
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            raise ModelError(f"gait checkpoint {path} is corrupt or truncated ({type(exc).__name__}: {exc})") from exc
        try:
            weights = check_weights(config, weights)
            head = DiscriminantHead.from_stored(meta["head"], head_arrays) if "head" in meta else None
        except ValueError as exc:
            raise ModelError(f"gait checkpoint {path} is corrupt: {exc}") from exc
        fingerprint = compute_fingerprint(config, weights, head)
        if fingerprint != meta.get("fingerprint"):
            raise ModelError(
                f"gait checkpoint {path} fails its fingerprint check: the file is corrupt or was modified; "
                "restore it from its source"
            )
        feature_space = meta.get("feature_space")
        training = meta.get("training", {})
        if not isinstance(feature_space, str) or not feature_space or not isinstance(training, dict):
            raise ModelError(f"gait checkpoint {path} has malformed metadata (feature_space/training)")
        try:
            _check_head(config, feature_space, head)
        except ValueError as exc:
            raise ModelError(f"gait checkpoint {path}: {exc}") from exc
        return cls(config, weights, feature_space, training, fingerprint, head)


def _check_head(config: GaitConfig, feature_space: str, head: DiscriminantHead | None) -> None:
    """A head reads the walk's joints and the network's vector: joint features and matching sizes only."""
    if head is None:
        return
    if feature_space != FEATURE_SPACE_JOINT_MAPS:
        raise ValueError(f"a discriminant head needs joint features ({FEATURE_SPACE_JOINT_MAPS}), not {feature_space}")
    if head.gait_size != config.identification_size:
        raise ValueError(f"the head takes {head.gait_size}-d gait vectors but the network gives {config.identification_size}")
    from gaitcli.features.walk_statistics import STATISTICS_SIZE, STATISTICS_VERSION

    if head.statistics != STATISTICS_VERSION or head.statistics_size != STATISTICS_SIZE:
        raise ValueError(
            f"the head was fitted on walk statistics {head.statistics} ({head.statistics_size}), but this gaitcli "
            f"computes {STATISTICS_VERSION} ({STATISTICS_SIZE}); refit the head with `gaitcli train head`"
        )
    if head.proportions:
        from gaitcli.features.proportions import PROPORTIONS_SIZE, PROPORTIONS_VERSION

        if head.proportions != PROPORTIONS_VERSION or head.proportions_size != PROPORTIONS_SIZE:
            raise ValueError(
                f"the head's body-proportions block was measured as {head.proportions} ({head.proportions_size}), but this "
                f"gaitcli computes {PROPORTIONS_VERSION} ({PROPORTIONS_SIZE}); rebuild it with `gaitcli train blocks`"
            )


def _head_shapes(path: Path, meta: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    if "head" not in meta:
        return {}
    try:
        return DiscriminantHead.array_shapes(meta["head"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"gait checkpoint {path} has malformed head metadata ({exc})") from exc


def _config_from_meta(path: Path, meta: Any) -> GaitConfig:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{path} is a .npz file but not a gaitcli gait checkpoint")
    version = meta.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelError(f"gait checkpoint {path} has a malformed format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelError(
            f"gait checkpoint {path} has format version {version}, newer than this gaitcli reads "
            f"({FORMAT_VERSION}); upgrade gaitcli"
        )
    try:
        return GaitConfig.from_dict(meta.get("architecture"))
    except (ValueError, TypeError) as exc:
        raise ModelError(f"gait checkpoint {path} has a malformed architecture: {exc}") from exc
