"""Running .tflite models with ai-edge-litert (imported lazily; TensorFlow is not needed)."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import numpy as np

from gaitcli.errors import ModelError


class TfliteModel:
    """One .tflite model with one float32 input; ``output_shapes`` lists its outputs in order."""

    def __init__(self, path: str | Path, num_threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter

        try:
            self.interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
            with _quiet_stderr():  # LiteRT logs "INFO: Created ... XNNPACK delegate" on fd 2 here
                self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{path}: cannot load the model ({exc}); run `gaitcli models download --force`") from None
        detail = self.interpreter.get_input_details()[0]
        self.input_index = detail["index"]
        self.input_shape = tuple(int(v) for v in detail["shape"])
        outputs = self.interpreter.get_output_details()
        self.output_indices = [d["index"] for d in outputs]
        self.output_shapes = [tuple(int(v) for v in d["shape"]) for d in outputs]

    def run(self, x: np.ndarray, outputs: tuple[int, ...] | None = None) -> list[np.ndarray]:
        """Invoke on one input shaped like ``input_shape``; return the outputs at the positions
        ``outputs`` (default all), so large unused outputs (a segmentation mask) are not copied."""
        self.interpreter.set_tensor(self.input_index, x)
        self.interpreter.invoke()
        chosen = range(len(self.output_indices)) if outputs is None else outputs
        return [self.interpreter.get_tensor(self.output_indices[i]) for i in chosen]


@contextlib.contextmanager
def _quiet_stderr():
    """Silence file descriptor 2 (C++ runtime logging bypasses sys.stderr) for the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
