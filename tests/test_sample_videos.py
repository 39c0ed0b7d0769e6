"""sample_videos/: the shipped clips are small, short, what the script renders, and the
default pose engine finds the walker in at least 90 % of their frames."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_videos"
SCRIPT = REPO / "scripts" / "make_sample_videos.py"
NAMES = [f"person{k}_walk{j}.mp4" for k in (1, 2, 3) for j in (1, 2)] + ["person4_walk1.mp4"]  # person 4: a stranger


@pytest.fixture(scope="module")
def script():
    """scripts/make_sample_videos.py as a module."""
    spec = importlib.util.spec_from_file_location("make_sample_videos", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def _frames(path: Path, step: int = 1):
    cap = cv2.VideoCapture(str(path))
    try:
        i = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            if i % step == 0:
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            i += 1
    finally:
        cap.release()


def test_the_script_makes_exactly_the_shipped_clips(script):
    assert [clip.name for clip in script.CLIPS] == NAMES
    assert sorted(p.name for p in SAMPLES.glob("*.mp4")) == sorted(NAMES)
    for k in (1, 2, 3):  # a person's two walks differ in direction and speed
        a, b = (clip for clip in script.CLIPS if clip.person == k)
        assert a.direction == -b.direction and a.speed_factor != b.speed_factor


@pytest.mark.parametrize("name", NAMES)
def test_clip_is_small_short_and_readable(name):
    path = SAMPLES / name
    assert path.stat().st_size <= 1_000_000
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened()
    fps = cap.get(cv2.CAP_PROP_FPS)
    width, height = cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert (width, height, fps) == (640, 360, 25)
    frames = sum(1 for _ in _frames(path))
    assert frames == declared  # every frame decodes
    assert 2.0 <= frames / fps <= 6.0


def test_readme_lists_every_clip_and_the_command():
    text = (SAMPLES / "README.md").read_text()
    for name in NAMES:
        assert f"| {name} |" in text
    assert "python scripts/make_sample_videos.py" in text


@pytest.mark.parametrize("name", NAMES)
def test_default_engine_finds_the_walker(name, embedded_samples, script):
    """`gaitcli embed`: a person is found in >= 90 % of the frames the engine runs on, followed as
    one track, and walks the way the clip says (a walk to the left is mirrored)."""
    clip = next(c for c in script.CLIPS if c.name == name)
    _, info = embedded_samples[name]
    assert info["frames_with_pose"] >= 0.9 * info["frames_posed"], f"{name}: {info}"
    assert info["tracks"] == 1, f"{name}: the walker was split into {info['tracks']} tracks"
    assert info["mirrored"] == (clip.direction < 0)


def test_shipped_clips_are_what_the_script_renders(script):
    """The first frames of the shipped files match fresh renders (the clips are not stale),
    and rendering is deterministic."""
    first = script.CLIPS[0]
    assert np.array_equal(next(iter(script.frames(first))), next(iter(script.frames(first))))
    for clip in script.CLIPS[:2]:
        fresh = next(iter(script.frames(clip)))
        stored = next(_frames(SAMPLES / clip.name))
        mse = np.mean((stored.astype(float) - fresh.astype(float)) ** 2)
        psnr = 10 * np.log10(255.0**2 / max(mse, 1e-9))
        assert psnr > 30, f"{clip.name} differs from the script's render (PSNR {psnr:.1f} dB): regenerate it"


def test_write_clip_and_readme(script, tmp_path):
    short = script.Clip(1, 1, +1, 1.0, 0.4, 4.6, 0.0, "park")
    path, frames = script.write_clip(short, tmp_path)
    assert path == tmp_path / "person1_walk1.mp4" and frames == 10
    assert sum(1 for _ in _frames(path)) == 10
    text = script.readme([(short, frames)])
    walked = script.simulate(short)[0].meta["speed_mps"]
    row = f"| person1_walk1.mp4 | 1 | 1 | left to right | 1.00 x own ({walked:.2f} m/s) | 0.4 | 10 | park | - |"
    assert row in text
