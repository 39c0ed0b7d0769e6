"""`gaitcli embed` and gaitcli.api: real video, keypoint files, the seed pipeline's guards, bad inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from gaitcli.api import Embedder
from gaitcli.errors import NoPersonError
from walk_fixtures import write_coco


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gaitcli.cli.main", *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def synthetic_walk():
    """One synthetic walk as a pose engine would report it (coords in pixels, 25-30 fps)."""
    from gaitcli.synth.dataset import make_sequences

    (identity, ys, xs, ps, meta), (_, ys2, xs2, ps2, meta2) = make_sequences(1, 2, seed=7, covariate_share=0.0)
    return (ys, xs, ps, meta), (ys2, xs2, ps2, meta2)


# --- the real clip: the walker, not the man on the box ---------------------------------------------


@pytest.fixture(scope="module")
def outdoor(shared_data, embedder):
    return embedder.embed(shared_data / "videos" / "walk_profile_outdoor.mp4")


def test_real_clip_vector_comes_from_the_walker(outdoor, embedder):
    info = outdoor.info
    assert info["frames_read"] == 230
    assert info["tracks"] >= 2  # the walker and the man on the box at least
    tracks = {t["id"]: t for t in embedder.list_tracks(outdoor.source)}
    chosen = tracks[info["track"]]
    assert chosen["chosen"]
    # the woman crosses the lawn: several body heights of travel, within her visible frames (~35-200)
    assert chosen["displacement_heights"] > 2.0
    assert 25 <= chosen["first_frame"] and chosen["last_frame"] <= 215
    others = [t for t in tracks.values() if t["id"] != chosen["id"]]
    assert all(t["displacement_heights"] < chosen["displacement_heights"] for t in others)
    assert info["mirrored"]  # she walks right to left
    assert info["lateral_speed"] > 1.0 and info["mirror_image_weight"] == 0.0  # across the image: her own vector
    assert info["frames_used"] >= 60
    assert outdoor.vector.shape == (embedder.gait.dimension,)
    assert abs(np.linalg.norm(outdoor.vector) - 1.0) < 1e-5


def test_another_track_gives_another_vector(outdoor, embedder):
    posed = outdoor.info["frames_posed"]  # the 30-fps clip's every other frame
    assert posed == 115
    other = [t for t in embedder.list_tracks(outdoor.source) if not t["chosen"] and t["frames"] >= posed // 2]
    assert other, "the man on the box should be a long track of his own"
    try:
        result = embedder.embed(outdoor.source, track=other[0]["id"])
    except NoPersonError:
        return  # standing/crouching may leave too few walking frames: refusing is right too
    assert result.info["track"] == other[0]["id"]
    assert float(result.vector @ outdoor.vector) < 0.9999


# --- keypoint files ----------------------------------------------------------------------------------


def test_coco_keypoints_embed_like_the_joints_they_hold(tmp_path, embedder, synthetic_walk):
    (ys, xs, ps, meta), _ = synthetic_walk
    fps = float(meta["fps"])
    path = write_coco(tmp_path / "walk.json", ys, xs, ps, decoy=True)
    result = Embedder(fps=fps).embed(path)
    assert result.info["source_format"].startswith("coco")
    assert result.info["tracks"] == 2
    from gaitcli.features.sequence import prepare_walk

    direct = embedder.gait.embed_walk(prepare_walk(ys, xs, ps, fps))
    # the COCO file lacks the seed's derived head joints' exact positions, so not bit-equal; same person
    assert float(result.vector @ direct) > 0.95


def test_cli_embed_writes_vectors_and_refuses_to_overwrite(tmp_path, synthetic_walk):
    (ys, xs, ps, _), (ys2, xs2, ps2, _) = synthetic_walk
    a = write_coco(tmp_path / "a.json", ys, xs, ps)
    b = write_coco(tmp_path / "b.json", ys2, xs2, ps2)
    out = tmp_path / "vectors.npy"
    done = run_cli("embed", str(a), str(b), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [Path(r["source"]).name for r in records] == ["a.json", "b.json"]
    vectors = np.load(out)
    assert vectors.shape == (2, len(records[0]["vector"]))
    np.testing.assert_allclose(vectors[0], records[0]["vector"], atol=1e-6)
    meta = json.loads(Path(str(out) + ".json").read_text())
    assert meta["model_fingerprint"] == records[0]["model_fingerprint"]
    assert meta["pose_engine"] is None and records[0]["pose_engine"] is None  # another tool found these joints, not the engine
    assert meta["open_set_threshold"] == records[0]["open_set_threshold"] is not None  # the same on stdout and beside the vectors
    again = run_cli("embed", str(a), "--out", str(out))
    assert again.returncode == 3 and "--force" in again.stderr
    assert np.array_equal(np.load(out), vectors)  # untouched


def test_embedding_is_deterministic(tmp_path, embedder, synthetic_walk):
    (ys, xs, ps, meta), _ = synthetic_walk
    path = write_coco(tmp_path / "walk.json", ys, xs, ps)
    e = Embedder(fps=float(meta["fps"]))
    assert np.array_equal(e.embed(path).vector, e.embed(path).vector)


def test_saved_poses_embed_to_the_vectors_of_their_videos(tmp_path, embedded_samples):
    """`embed --save-pose` writes the joints each vector was made from (the engine's frames, their
    numbers and the video's rate); embedding that file gives the video's vector without the video
    (to the rounding of the file's pixel coordinates), and it is never silently overwritten."""
    from gaitcli.cli.main import main
    from gaitcli.gallery.vectors import load_vectors
    from gaitcli.io.keypoints import load_keypoints

    for name, (npy, info) in embedded_samples.items():
        pose_file = npy.parent / "poses" / f"{Path(name).stem}_pose.json"
        joints = load_keypoints(pose_file)
        assert joints.num_frames == info["frames_posed"] and joints.fps == pytest.approx(info["fps"])
        again = tmp_path / f"{pose_file.stem}.npy"
        with pytest.raises(SystemExit) as exit_info:  # in-process: seven runs
            main(["embed", str(pose_file), "--out", str(again)])
        assert exit_info.value.code == 0
        video_vector, pose_vector = load_vectors(npy)[0][0], load_vectors(again)[0][0]
        assert float(video_vector @ pose_vector) > 0.9999, name
        assert load_vectors(again)[1]["info"][0]["frames_used"] == info["frames_used"]
        assert load_vectors(again)[1]["pose_engine"] == "blazepose, flip-averaged"  # a gallery still checks the setting
    clip = Path(__file__).resolve().parents[1] / "sample_videos" / "person1_walk1.mp4"
    before = pose_file.read_bytes()
    done = run_cli("embed", str(clip), "--save-pose", str(pose_file.parent))  # person1_walk1_pose.json is there
    assert done.returncode == 3 and done.stderr.strip().endswith("already exists; pass --force to overwrite it")
    assert pose_file.read_bytes() == before
    done = run_cli("embed", str(clip), "--save-pose", str(pose_file))  # a file, not a folder: a bad command line
    assert done.returncode == 2 and "give a folder" in done.stderr and pose_file.read_bytes() == before


def test_results_hold_the_joints_only_when_asked(tmp_path, synthetic_walk, embedder):
    """A batch's results hold vectors, not every walk's joints (memory stays one walk's); asked for,
    the joints are the walk's own and write a pose file that embeds to the same vector."""
    from gaitcli.io.keypoints import write_pose_json

    (ys, xs, ps, meta), _ = synthetic_walk
    walk = write_coco(tmp_path / "walk.json", ys, xs, ps)
    assert embedder.embed(walk).joints is None
    kept = Embedder(keep_joints=True, fps=float(meta["fps"])).embed(walk)
    assert kept.joints.num_frames == len(ys)
    again = Embedder(fps=float(meta["fps"])).embed(write_pose_json(tmp_path / "walk_pose.json", kept.joints))
    assert float(again.vector @ kept.vector) > 0.9999


def test_save_pose_with_all_tracks_writes_one_file_per_person(tmp_path, synthetic_walk):
    (ys, xs, ps, meta), _ = synthetic_walk
    walk = write_coco(tmp_path / "two.json", ys, xs, ps, decoy=True)
    done = run_cli("embed", str(walk), "--all-tracks", "--save-pose", str(tmp_path / "poses"), "--json", "--fps", str(meta["fps"]))
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [Path(r["pose_file"]).name for r in records] == [f"two_track{r['track']}_pose.json" for r in records]
    for record in records:
        again = json.loads(run_cli("embed", record["pose_file"], "--json").stdout)[0]
        assert float(np.dot(again["vector"], record["vector"])) > 0.9999


def test_sample_clip_runs_the_engine_on_the_canonical_frames_flip_averaged(tmp_path, embedded_samples):
    clip = Path(__file__).resolve().parents[1] / "sample_videos" / "person1_walk1.mp4"
    npy, info = embedded_samples[clip.name]  # `gaitcli embed --out` with the defaults
    assert info["frames_read"] == 100 and info["frames_posed"] == 60  # 25 fps -> the frames nearest 15 fps
    assert info["feature_frames"] >= 58
    assert json.loads(Path(str(npy) + ".json").read_text())["pose_engine"] == "blazepose, flip-averaged"
    default = np.load(npy)[0]
    every = Embedder(sample_fps=None).embed(clip)
    assert every.info["frames_posed"] == 100
    assert float(every.vector @ default) > 0.9  # the frames between add little the network would see
    out = tmp_path / "single.npy"
    done = run_cli("embed", str(clip), "--no-flip-average", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(Path(str(out) + ".json").read_text())["pose_engine"] == "blazepose"
    single = np.load(out)[0]
    assert not np.allclose(single, default)  # the engine's joints changed ...
    assert float(single @ default) > 0.5  # ... but not who is walking
    refused = run_cli("embed", str(clip), "--flip-average", "--pose-checkpoint", str(tmp_path / "MPII+LSP.ckpt"))
    assert refused.returncode == 3 and "--flip-average" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


# --- the seed pipeline's guard ---------------------------------------------------------------------


def test_seed_pose_features_refuse_the_joint_map_gait_model(tmp_path):
    done = run_cli("embed", "--pose-checkpoint", str(tmp_path / "MPII+LSP.ckpt"), str(tmp_path / "walk.mp4"))
    assert done.returncode == 5
    assert "joint" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# --- bad inputs -------------------------------------------------------------------------------------


def _write_video(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return path


@pytest.mark.parametrize(
    "make, code",
    [
        (lambda d: d / "missing.mp4", 3),
        (lambda d: (d / "empty.mp4").write_bytes(b"") or d / "empty.mp4", 3),
        (lambda d: (d / "text.mp4").write_text("not a video at all\n" * 50) or d / "text.mp4", 3),
        (lambda d: (d / "bad.json").write_text("{not json") or d / "bad.json", 3),
        (lambda d: (d / "odd.json").write_text(json.dumps({"hello": [1, 2, 3]})) or d / "odd.json", 3),
        (lambda d: _write_video(d / "nobody.mp4", [np.full((120, 160, 3), 90, np.uint8)] * 30), 4),
    ],
    ids=["missing", "zero-bytes", "not-a-video", "unreadable-json", "unknown-schema", "no-person"],
)
def test_bad_inputs_fail_with_one_line(tmp_path, make, code):
    done = run_cli("embed", str(make(tmp_path)))
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith("gaitcli: error:")
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_person_in_too_few_frames_is_refused(tmp_path, synthetic_walk):
    (ys, xs, ps, _), _ = synthetic_walk
    path = write_coco(tmp_path / "short.json", ys[:12], xs[:12], ps[:12])
    done = run_cli("embed", str(path))
    assert done.returncode == 4
    assert "gait cycle" in done.stderr


def test_truncated_video_is_refused(tmp_path, shared_data):
    data = (shared_data / "videos" / "walk_profile_outdoor.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    done = run_cli("embed", str(cut))
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
