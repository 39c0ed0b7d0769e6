"""TensorFlow is optional: the default pipeline runs where it cannot be imported at all, and the
commands that need it say in one line what to install."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

from walk_fixtures import write_coco

REPO = Path(__file__).resolve().parents[1]

# Runs gaitcli commands in one process in which `import tensorflow` (and Keras) raise ImportError,
# as on an install without the [tensorflow] extra; prints each command's exit code.
DRIVER = textwrap.dedent(
    """
    import importlib.abc, json, sys

    class NoTensorFlow(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
                raise ImportError(f"No module named {name!r} (blocked)")
            return None

    sys.meta_path.insert(0, NoTensorFlow())
    from gaitcli.cli.main import main

    codes = []
    for argv in json.loads(sys.argv[1]):
        try:
            main(argv)
            codes.append(0)
        except SystemExit as exc:
            codes.append(exc.code)
    assert not any(m.split(".")[0] in ("tensorflow", "keras") for m in sys.modules)
    print(json.dumps(codes))
    """
)


def run_without_tensorflow(tmp_path: Path, *commands: list[str]) -> tuple[list[int], str]:
    env = {"GAITCLI_CONFIG_DIR": str(tmp_path / "config"), "PYTHONPATH": str(REPO)}
    import os

    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(commands)],
        capture_output=True, text=True, timeout=600, env={**os.environ, **env}, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


@pytest.fixture(scope="module")
def walkers(tmp_path_factory):
    from gaitcli.synth.dataset import make_sequences

    folder = tmp_path_factory.mktemp("walkers")
    paths = {}
    for identity, ys, xs, ps, meta in make_sequences(2, 2, seed=11, covariate_share=0.0):
        k = sum(1 for name in paths if name.startswith(f"p{identity}_"))
        paths[f"p{identity}_{k}"] = write_coco(folder / f"p{identity}_{k}.json", ys, xs, ps)
    return paths


def test_embed_enroll_identify_run_with_tensorflow_absent(tmp_path, walkers):
    clip = REPO / "sample_videos" / "person1_walk1.mp4"
    names = sorted(walkers)
    gallery = str(tmp_path / "people.gallery")
    codes, err = run_without_tensorflow(
        tmp_path,
        ["embed", str(clip), "--out", str(tmp_path / "clip.npy")],  # video: BlazePose on LiteRT
        ["enroll", "--gallery", gallery, "--name", "clip", str(tmp_path / "clip.npy")],
        ["enroll", "--gallery", gallery, "--name", "a", str(walkers[names[0]])],
        ["enroll", "--gallery", gallery, "--name", "b", str(walkers[names[2]])],
        ["identify", "--gallery", gallery, "--json", str(walkers[names[1]])],
    )
    assert codes == [0, 0, 0, 0, 0], err


def test_commands_that_need_tensorflow_name_what_to_install(tmp_path):
    ckpt = tmp_path / "M+L-GRU-2.ckpt"
    ckpt.write_bytes(b"\0" * 64)
    annotations = tmp_path / "annotations.json"  # one annotated image: a valid training set
    cv2.imwrite(str(tmp_path / "figure.png"), np.zeros((40, 30, 3), np.uint8))
    annotations.write_text(json.dumps([{"image": "figure.png", "joints": [[15, 20]] * 16}]))
    clip = str(REPO / "sample_videos" / "person1_walk1.mp4")
    commands = [
        ["convert", str(ckpt), str(tmp_path / "out.npz")],
        ["embed", clip, "--gait-checkpoint", str(ckpt)],  # a TF-1 gait checkpoint
        ["embed", clip, "--pose-checkpoint", str(ckpt), "--gait-checkpoint", str(ckpt)],  # the seed's pipeline
        ["train", "gait", "--out", str(tmp_path / "gait.npz")],
        ["train", "pose", str(annotations), "--out", str(tmp_path / "pose")],
    ]
    codes, err = run_without_tensorflow(tmp_path, *commands)
    assert codes == [1] * len(commands)
    lines = err.strip().splitlines()
    assert len(lines) == len(commands), err  # one line each, no traceback
    for line in lines:
        assert line.startswith("gaitcli: error:") and 'pip install "gaitcli[tensorflow]"' in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["M+L-GRU-2.ckpt", "annotations.json", "figure.png"]
