"""gaitcli's own gait checkpoint: one ``.npz`` file, loadable without TensorFlow.

The file is an uncompressed NumPy ``.npz`` archive (read with ``allow_pickle=False``):

* one float32 array per weight, named as in :mod:`gaitcli.gait.architecture`
  (``stem/kernel``, ``rnn_0/recurrent_kernel``, ...);
* ``meta``: a JSON string ``{"format": "gaitcli-gait", "format_version": 1, "architecture":
  {...}, "feature_space": "seed-ir-v1" | "joint-maps-v2" | ..., "training": {...},
  "fingerprint": "<sha256 hex>"}``.

The fingerprint is a SHA-256 over the architecture (canonical JSON) and every weight (name,
shape and float32 bytes, in name order): it identifies the model (galleries record it) and
loading recomputes it, so a corrupt or edited file is refused instead of giving wrong vectors.
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

FORMAT = "gaitcli-gait"
FORMAT_VERSION = 1
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


def compute_fingerprint(config: GaitConfig, weights: Mapping[str, np.ndarray]) -> str:
    """SHA-256 (hex) over the architecture and all weights (name, shape, float32 bytes)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(weights):
        array = np.ascontiguousarray(weights[name], dtype="<f4")
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

    @classmethod
    def create(
        cls,
        config: GaitConfig,
        weights: Mapping[str, np.ndarray],
        feature_space: str,
        training: Mapping[str, Any] | None = None,
    ) -> "GaitCheckpoint":
        """Check ``weights`` against ``config`` and fingerprint them.

        ``training`` is free JSON describing where the weights come from (data, seed,
        epochs, accuracy, or the converted file). Raises ``ValueError`` on bad arguments.
        """
        if not isinstance(feature_space, str) or not feature_space.strip():
            raise ValueError("feature_space must be a non-empty string such as 'joint-maps-v2'")
        training = dict(training or {})
        json.dumps(training)  # must be JSON (raises TypeError otherwise)
        checked = check_weights(config, weights)
        return cls(config, checked, feature_space, training, compute_fingerprint(config, checked))

    @property
    def short_fingerprint(self) -> str:
        """The first 12 hex digits of the fingerprint, for display."""
        return self.fingerprint[:12]

    def meta(self) -> dict[str, Any]:
        """The JSON ``meta`` entry of the file."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "architecture": self.config.to_dict(),
            "feature_space": self.feature_space,
            "training": dict(self.training),
            "fingerprint": self.fingerprint,
        }

    def require(self, feature_space: str) -> None:
        """Refuse (ModelError) to run on spatial features of another space than trained on."""
        if feature_space != self.feature_space:
            raise ModelError(
                f"this gait model ({self.config.describe()}, {self.short_fingerprint}) was trained on "
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
                extra = sorted(set(archive.files) - set(expected) - {META_KEY})
                if extra:
                    raise ModelError(f"gait checkpoint {path} has an unexpected entry {extra[0]}; the file is corrupt")
                missing = [n for n in expected if n not in archive.files]
                if missing:
                    raise ModelError(f"gait checkpoint {path} lacks weight {missing[0]}; the file is corrupt")
                weights = {name: archive[name] for name in expected}
        except ModelError:
            raise
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            raise ModelError(f"gait checkpoint {path} is corrupt or truncated ({type(exc).__name__}: {exc})") from exc
        try:
            weights = check_weights(config, weights)
        except ValueError as exc:
            raise ModelError(f"gait checkpoint {path} is corrupt: {exc}") from exc
        fingerprint = compute_fingerprint(config, weights)
        if fingerprint != meta.get("fingerprint"):
            raise ModelError(
                f"gait checkpoint {path} fails its fingerprint check: the file is corrupt or was modified; "
                "restore it from its source"
            )
        feature_space = meta.get("feature_space")
        training = meta.get("training", {})
        if not isinstance(feature_space, str) or not feature_space or not isinstance(training, dict):
            raise ModelError(f"gait checkpoint {path} has malformed metadata (feature_space/training)")
        return cls(config, weights, feature_space, training, fingerprint)


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
