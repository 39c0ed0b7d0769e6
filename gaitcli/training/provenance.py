"""What a trained model was made from: the versions of the packages that computed it and the
fingerprints of the data folders it read. Training commands record both in the checkpoint's
training record (``packages``, ``mocap``), so that a model can be traced and rebuilt."""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

#: Distributions whose version can change a trained model's numbers.
PACKAGES = ("gaitcli", "numpy", "scipy", "scikit-learn", "tensorflow-cpu", "tensorflow", "ai-edge-litert",
            "opencv-python-headless", "opencv-python")  # fmt: skip


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`PACKAGES` (those that are installed)."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def folder_fingerprint(folder: str | Path) -> str:
    """SHA-256 (first 12 hex digits) over a folder's files: relative paths and contents, in order."""
    root = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:12]
