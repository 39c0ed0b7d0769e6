"""Several people in one video: `embed --list-tracks` (JSON, annotated video), `--all-tracks`,
`enroll --track`, and the pose cache that lets them share one run of the pose engine.

The video is two sample clips side by side (two synthetic walkers, one in each half).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from gaitcli.cli.main import main

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def run(args, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


@pytest.fixture(scope="module")
def two_walkers(tmp_path_factory) -> Path:
    """person1_walk1 (left half) and person2_walk1 (right half), 90 frames at 25 fps."""
    from gaitcli.io.video import open_frames

    path = tmp_path_factory.mktemp("tracks") / "two_walkers.mp4"
    left, right = open_frames(SAMPLES / "person1_walk1.mp4"), open_frames(SAMPLES / "person2_walk1.mp4")
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (1280, 360))
    for (_, a), (_, b) in zip(left, right):
        writer.write(cv2.cvtColor(np.hstack([a, b]), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(autouse=True)
def pose_cache(tmp_path_factory, monkeypatch):
    """A pose cache of the module's own (the model files stay in the normal cache)."""
    from gaitcli.pose import cache

    folder = tmp_path_factory.getbasetemp() / "pose-cache"
    monkeypatch.setattr(cache, "folder", lambda: folder)
    monkeypatch.setenv("GAITCLI_CONFIG_DIR", str(tmp_path_factory.getbasetemp() / "config"))
    return folder


@pytest.fixture(scope="module")
def listing(two_walkers, tmp_path_factory):
    from gaitcli.pose import cache

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache, "folder", lambda: tmp_path_factory.getbasetemp() / "pose-cache")
        from gaitcli.api import Embedder

        return Embedder().list_tracks(two_walkers)


def test_list_tracks_json_has_every_walker_with_boxes(two_walkers, listing, pose_cache, capsys):
    code, out, err = run(["embed", two_walkers, "--list-tracks", "--json"], capsys)
    assert code == 0
    tracks = json.loads(out)[str(two_walkers)]
    assert tracks == json.loads(json.dumps(listing))  # read from the pose cache: the same answer
    assert len(list(pose_cache.glob("*.npz"))) == 1
    walkers = [t for t in tracks if t["embeddable"]]
    assert len(walkers) == 2
    halves = sorted(np.mean([(b["box"][0] + b["box"][2]) / 2 for b in t["boxes"]]) < 640 for t in walkers)
    assert halves == [False, True]  # one in each half
    for t in tracks:
        assert {"id", "first_frame", "last_frame", "confident_seconds", "embeddable", "boxes"} <= set(t)
        frames = [b["frame"] for b in t["boxes"]]
        assert frames == sorted(frames) and frames[0] == t["first_frame"] and frames[-1] == t["last_frame"]
        assert all(len(b["box"]) == 4 and b["box"][0] < b["box"][2] and b["box"][1] < b["box"][3] for b in t["boxes"])
    for t in walkers:
        assert t["confident_seconds"] >= 1.0 and t["first_frame"] <= 10  # found from the start


def test_save_video_draws_every_frame(two_walkers, listing, tmp_path, capsys):
    target = tmp_path / "tracks.mp4"
    code, _, err = run(["embed", two_walkers, "--list-tracks", "--save-video", target], capsys)
    assert code == 0 and target.is_file()
    capture = cv2.VideoCapture(str(target))
    frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 40)
    ok, drawn = capture.read()
    capture.release()
    original = cv2.VideoCapture(str(two_walkers))
    original.set(cv2.CAP_PROP_POS_FRAMES, 40)
    _, plain = original.read()
    original.release()
    assert frames == 90 and ok and drawn.shape == plain.shape
    assert np.abs(drawn.astype(int) - plain.astype(int)).max(axis=2).__gt__(60).mean() > 0.002  # boxes and skeletons
    code, _, err = run(["embed", two_walkers, "--list-tracks", "--save-video", target], capsys)
    assert code == 3 and "--force" in err  # never overwritten unasked
    code, _, err = run(["embed", two_walkers, "--save-video", tmp_path / "x.mp4"], capsys)  # without --list-tracks
    assert code == 2 and err.count("\n") == 1 and "goes with --list-tracks" in err  # a bad command line
    for args in (["--list-tracks", "--save-video", tmp_path / "x.gif"], ["--list-tracks", "--save-video", two_walkers]):
        code, _, err = run(["embed", two_walkers, *args], capsys)
        assert code == 3 and err.count("\n") == 1


def test_all_tracks_then_enroll_one_of_them(two_walkers, listing, tmp_path, capsys):
    out = tmp_path / "vectors"
    code, _, err = run(["embed", two_walkers, "--all-tracks", "--out", f"{out}/"], capsys)
    assert code == 0, err
    ids = [t["id"] for t in listing if t["embeddable"]]
    files = sorted(out.glob("*.npy"))
    assert [f.name for f in files] == sorted(f"two_walkers_track{i}.npy" for i in ids)
    chosen = ids[1]
    code, out_json, _ = run(["embed", two_walkers, "--track", chosen, "--json"], capsys)
    vector = np.asarray(json.loads(out_json)[0]["vector"], dtype=np.float32)
    assert np.allclose(np.load(out / f"two_walkers_track{chosen}.npy")[0], vector, atol=1e-6)

    gallery = tmp_path / "people.gallery"
    code, out_json, err = run(["enroll", "--gallery", gallery, "--track", chosen, "--name", "right", "--json", two_walkers], capsys)
    assert code == 0, err
    assert json.loads(out_json)["added"] == 1
    code, _, err = run(["enroll", "--gallery", gallery, "--track", 99, "--name", "x", two_walkers], capsys)
    assert code == 3 and "no track 99" in err
    code, _, err = run(["enroll", "--gallery", gallery, "--track", 1, "--name", "x", two_walkers, two_walkers], capsys)
    assert code == 3 and "one" in err
    code, _, err = run(["embed", two_walkers, "--all-tracks", "--out", f"{out}/"], capsys)
    assert code == 3 and "--force" in err
