"""Importing TensorFlow without its C++ start-up lines on the user's terminal.

TensorFlow (and Keras 3, which imports it) prints lines such as ``WARNING: All log messages
before absl::InitializeLog() is called are written to STDERR`` and oneDNN / CPU-feature notes
while it loads. ``TF_CPP_MIN_LOG_LEVEL`` does not silence them (they come before absl reads
it), so they would precede gaitcli's own messages on every command that needs TensorFlow
(training, the seed's networks). :func:`import_tensorflow` imports it with file descriptor 2
pointed at a temporary file, then passes on every line that is not such start-up chatter.
Python exceptions raised by the import are not affected.

Every module that needs TensorFlow or Keras calls :func:`import_tensorflow` first. TensorFlow
is an optional dependency (``pip install "gaitcli[tensorflow]"``): without it the call raises
:class:`~gaitcli.errors.MissingDependencyError`, which the CLI prints as one line naming what
to install. The default pipeline (BlazePose on LiteRT, the gait network in NumPy) never calls it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from types import ModuleType
from typing import Iterator

#: Lines TensorFlow's C++ runtime prints while it loads; anything else is passed on.
_CHATTER = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IW]\d{4} [\d:. ]+\d+ (port|cpu_feature_guard|cuda_\w+)\.cc:\d+\]"
    r"|To enable the following instructions:"
    r"|E\d{4} [\d:. ]+\d+ cuda_\w+\.cc:\d+\] (Unable to register|failed call to cuInit))"
)


@contextlib.contextmanager
def _filtered_stderr() -> Iterator[None]:
    """Capture file descriptor 2 (C++ writes too) and re-emit all but TensorFlow's chatter."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. captured by a test runner)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            kept = [line for line in sink.read().decode("utf-8", "replace").splitlines() if not _CHATTER.match(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
                sys.stderr.flush()


#: What to install for the parts of gaitcli that need TensorFlow.
INSTALL_HINT = 'pip install "gaitcli[tensorflow]"'


def import_tensorflow() -> ModuleType:
    """``import tensorflow`` (once), keeping its start-up chatter off stderr; returns the module.

    Raises :class:`~gaitcli.errors.MissingDependencyError` when TensorFlow is not installed.
    """
    module = sys.modules.get("tensorflow")
    if module is not None:
        return module
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with _filtered_stderr():
            import tensorflow
    except ImportError as exc:
        from gaitcli.errors import MissingDependencyError

        raise MissingDependencyError(
            "this needs TensorFlow (training, `gaitcli convert`, the seed's TF-1 checkpoints), "
            f"which is not installed: {INSTALL_HINT}"
        ) from exc
    return tensorflow
