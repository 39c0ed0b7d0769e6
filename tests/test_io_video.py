"""Streaming frame sources: real videos, generated clips, frame folders and every bad input."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

from gaitcli.errors import InputError
from gaitcli.io.video import DEFAULT_FOLDER_FPS, FolderFrames, VideoFrames, open_frames

CLIP_FRAMES, CLIP_W, CLIP_H, CLIP_FPS = 40, 96, 64, 12.0


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A small MJPG clip: frame i is pure red (RGB) with its index written in the green channel."""
    path = tmp_path_factory.mktemp("clip") / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), CLIP_FPS, (CLIP_W, CLIP_H))
    for i in range(CLIP_FRAMES):
        rgb = np.zeros((CLIP_H, CLIP_W, 3), np.uint8)
        rgb[..., 0] = 230
        rgb[..., 1] = 5 * i
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_clip_streams_rgb_frames_in_order(clip):
    source = open_frames(clip)
    assert isinstance(source, VideoFrames) and source.kind == "video"
    assert (source.size, source.fps, source.frame_count, source.fps_is_default) == ((CLIP_W, CLIP_H), CLIP_FPS, CLIP_FRAMES, False)
    frames = list(source)
    assert [i for i, _ in frames] == list(range(CLIP_FRAMES))
    first, last = frames[0][1], frames[-1][1]
    assert first.dtype == np.uint8 and first.shape == (CLIP_H, CLIP_W, 3)
    assert first[..., 0].mean() > 200 and first[..., 2].mean() < 30  # RGB, not OpenCV's BGR
    assert abs(last[..., 1].mean() - 5 * (CLIP_FRAMES - 1)) < 8
    # a source can be iterated again, from the start
    assert next(iter(source))[0] == 0


def test_stride_and_max_frames_keep_source_indices(clip):
    source = open_frames(clip, stride=3, max_frames=5)
    assert source.num_frames == 5
    assert [i for i, _ in source] == [0, 3, 6, 9, 12]
    strided = open_frames(clip, stride=7)
    assert [i for i, _ in strided] == list(range(0, CLIP_FRAMES, 7)) and strided.num_frames == 6
    assert open_frames(clip, fps=50).fps == 50


@pytest.mark.parametrize("stride,max_frames,fps", [(0, None, None), (1.5, None, None), (1, 0, None), (1, None, -3.0)])
def test_bad_options(clip, stride, max_frames, fps):
    with pytest.raises(InputError):
        open_frames(clip, stride=stride, max_frames=max_frames, fps=fps)


def test_real_walk_video_streams_with_bounded_memory(shared_data):
    source = open_frames(shared_data / "videos" / "walk_profile_outdoor.mp4")
    assert source.size == (1768, 994) and source.fps == 30 and source.frame_count == 230
    frame_bytes = 1768 * 994 * 3
    count = 0
    rss_start = None
    tracemalloc.start()
    try:
        for index, frame in source:
            assert index == count and frame.shape == (994, 1768, 3) and frame.dtype == np.uint8
            count += 1
            if count == 10:
                rss_start = _rss_mb()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 230
    # a few frames in flight at most, never the video (230 frames would be 1.2 GB)
    assert peak < 6 * frame_bytes
    assert _rss_mb() - rss_start < 100


def test_real_pedestrian_video(shared_data):
    source = open_frames(shared_data / "videos" / "pedestrians_vtest.avi", stride=5)
    assert source.size == (768, 576) and source.fps == 10 and source.frame_count == 795
    indices = [i for i, _ in source]
    assert indices == list(range(0, 795, 5)) and len(indices) == source.num_frames


@pytest.mark.parametrize("fraction", [0.002, 0.4])
def test_truncated_copies_of_real_video(shared_data, tmp_path, fraction):
    data = (shared_data / "videos" / "walk_profile_outdoor.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(InputError, match="truncated|damaged"):
        for _ in open_frames(cut):
            pass


def test_truncated_generated_clip(clip, tmp_path):
    data = clip.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    source = open_frames(cut)  # the first frames decode ...
    with pytest.raises(InputError, match=r"truncated or damaged: decoding stopped after \d+ of its 40 frames"):
        for _ in source:  # ... the decoder stops half way
            pass


def test_bad_files(tmp_path, shared_data):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    empty = tmp_path / "empty.mp4"
    empty.touch()
    noise = tmp_path / "noise.avi"
    noise.write_bytes(np.random.default_rng(0).bytes(50_000))
    cases = {
        text: "not a video",
        empty: r"empty \(0 bytes\)",
        noise: "not a video",
        tmp_path / "missing.mp4": "no such file",
        shared_data / "images" / "dummy.jpg": "single image",
    }
    for path, message in cases.items():
        with pytest.raises(InputError, match=message):
            open_frames(path)


def test_giant_frames_are_refused_before_decoding(clip, monkeypatch):
    import gaitcli.io.video as video

    monkeypatch.setattr(video, "MAX_IMAGE_PIXELS", CLIP_W * CLIP_H - 1)
    with pytest.raises(InputError, match=f"{CLIP_W}x{CLIP_H} are above the limit"):
        open_frames(clip)


def _write_png(path: Path, value: int, size=(24, 16)) -> None:
    image = np.full((size[1], size[0], 3), value, np.uint8)
    assert cv2.imwrite(str(path), image)


def test_frame_folder_sorts_naturally(tmp_path):
    for n in (10, 2, 1, 33):
        _write_png(tmp_path / f"frame{n}.png", n)
    _write_png(tmp_path / ".hidden1.png", 99)
    (tmp_path / "notes.txt").write_text("ignored")
    source = open_frames(tmp_path)
    assert isinstance(source, FolderFrames) and source.kind == "folder"
    assert (source.size, source.frame_count, source.fps, source.fps_is_default) == ((24, 16), 4, DEFAULT_FOLDER_FPS, True)
    seen = [(i, int(frame[0, 0, 0]), Path(source.frame_label(i)).name) for i, frame in source]
    assert seen == [(0, 1, "frame1.png"), (1, 2, "frame2.png"), (2, 10, "frame10.png"), (3, 33, "frame33.png")]
    assert open_frames(tmp_path, fps=25).fps == 25
    assert [i for i, _ in open_frames(tmp_path, stride=2, max_frames=1)] == [0]


def test_bad_frame_folders(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no image files .* and no videos, keypoint files or .npy vectors"):
        open_frames(empty)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    _write_png(mixed / "a1.png", 10)
    _write_png(mixed / "a2.png", 10, size=(30, 16))
    with pytest.raises(InputError, match="share one size"):
        list(open_frames(mixed))
    broken = tmp_path / "broken"
    broken.mkdir()
    _write_png(broken / "f1.png", 10)
    (broken / "f2.png").write_bytes((broken / "f1.png").read_bytes()[:40])
    with pytest.raises(InputError, match="f2.png"):
        list(open_frames(broken))
