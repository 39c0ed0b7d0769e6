"""Reading the seed's TensorFlow-1 checkpoints by variable name.

Both generations load: V1 single-file ``.ckpt`` and V2 ``.index``/``.data-*`` (pass the prefix,
e.g. ``MPII+LSP.ckpt``, or any of its files). TensorFlow is imported only when a checkpoint is
opened.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitcli.errors import InputError, ModelError


def checkpoint_prefix(path: str) -> str:
    """The checkpoint prefix of a path given as one of a V2 checkpoint's files (.index, .data-*, .meta)."""
    for suffix in (".index", ".meta"):
        if path.endswith(suffix) and not Path(path).is_dir():
            return path[: -len(suffix)]
    head, sep, tail = path.rpartition(".data-")
    if sep and "-of-" in tail:
        return head
    return path


def checkpoint_exists(path: str | Path) -> bool:
    """Whether ``path`` names a TF-1 checkpoint that is there: a V1 file, or a V2 prefix (or one of its files)."""
    prefix = checkpoint_prefix(str(path))
    return Path(prefix).exists() or Path(prefix + ".index").exists()


class TF1Checkpoint:
    """Variables of a TF-1 checkpoint, looked up by name with clear errors."""

    def __init__(self, path: str | Path):
        self.path = checkpoint_prefix(str(path))
        p = Path(self.path)
        if not checkpoint_exists(self.path):
            raise InputError(f"checkpoint not found: {self.path} (give the .ckpt file or the V2 prefix without .index)")
        if p.is_dir():
            raise InputError(f"checkpoint path is a directory, not a checkpoint: {self.path}")
        from gaitcli.tf_import import import_tensorflow

        tf = import_tensorflow()

        try:
            self._reader = tf.train.load_checkpoint(self.path)
        except Exception as exc:  # TF raises several types (DataLossError, NotFoundError, ...)
            raise ModelError(f"cannot read TensorFlow checkpoint {self.path}: {type(exc).__name__}") from exc
        self.shapes: dict[str, tuple[int, ...]] = {
            name: tuple(shape) for name, shape in self._reader.get_variable_to_shape_map().items()
        }

    def __contains__(self, name: str) -> bool:
        return name in self.shapes

    def names(self, prefix: str = "") -> list[str]:
        """Sorted variable names starting with ``prefix``."""
        return sorted(n for n in self.shapes if n.startswith(prefix))

    def get(self, name: str, shape: tuple[int, ...] | None = None, *, describe: str = "") -> np.ndarray:
        """The value of variable ``name``; a missing or mis-shaped variable is a ModelError.

        ``describe`` (what the checkpoint looks like instead, e.g. "this is a GRU-2 gait
        checkpoint") is appended to the message.
        """
        hint = f"; {describe}" if describe else ""
        if name not in self.shapes:
            raise ModelError(f"checkpoint {Path(self.path).name} has no variable {name}{hint}")
        if shape is not None and tuple(self.shapes[name]) != tuple(shape):
            raise ModelError(
                f"checkpoint variable {name} is shaped {list(self.shapes[name])}, expected {list(shape)}{hint}"
            )
        return np.asarray(self._reader.get_tensor(name))
