"""Keypoint files: COCO-17, OpenPose and gaitcli pose JSON -> one person's 16-joint sequence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gaitcli.constants import HEAD_TOP, JOINT_INDEX, L_HIP, NUM_JOINTS, PELVIS, R_HIP, THORAX, UPPER_NECK
from gaitcli.errors import InputError, NoPersonError
from gaitcli.io.keypoints import POSE_FORMAT, load_keypoints, looks_like_keypoints, write_pose_json
from gaitcli.io.skeletons import BODY25_NAMES, COCO17_NAMES, COCO18_NAMES, HEAD_FACTORS, from_body25, from_coco17
from gaitcli.pose.blazepose_map import HEAD_TOP_FRACTION, UPPER_NECK_FRACTION

# A standing person, COCO-17 order, as (x, y) fractions of their height with the feet at y = 0.
_COCO_TEMPLATE = {
    "nose": (0.04, -0.93), "left_eye": (0.03, -0.95), "right_eye": (0.01, -0.95), "left_ear": (0.0, -0.94),
    "right_ear": (-0.02, -0.94), "left_shoulder": (0.1, -0.81), "right_shoulder": (-0.1, -0.81),
    "left_elbow": (0.13, -0.64), "right_elbow": (-0.13, -0.64), "left_wrist": (0.12, -0.5),
    "right_wrist": (-0.12, -0.5), "left_hip": (0.05, -0.52), "right_hip": (-0.05, -0.52),
    "left_knee": (0.04, -0.27), "right_knee": (-0.04, -0.27), "left_ankle": (0.05, 0.0), "right_ankle": (-0.05, 0.0),
}  # fmt: skip


def coco_person(x: float, feet_y: float = 500.0, height: float = 200.0, score: float = 0.9) -> np.ndarray:
    """(17, 3) COCO keypoints of a person standing at ``x``."""
    xy = np.array([_COCO_TEMPLATE[n] for n in COCO17_NAMES]) * height + np.array([x, feet_y])
    return np.column_stack([xy, np.full(17, score)])


def body25_from_coco(kp: np.ndarray) -> np.ndarray:
    """The same person as OpenPose BODY_25 (Neck, MidHip and feet filled in)."""
    coco = {n: kp[i] for i, n in enumerate(COCO17_NAMES)}
    rename = {"Nose": "nose", "REye": "right_eye", "LEye": "left_eye", "REar": "right_ear", "LEar": "left_ear"}
    out = np.zeros((25, 3))
    for i, name in enumerate(BODY25_NAMES):
        side = {"R": "right_", "L": "left_"}.get(name[0], "")
        key = rename.get(name) or (side + name[1:].lower())
        if key in coco:
            out[i] = coco[key]
    out[BODY25_NAMES.index("Neck")] = (coco["left_shoulder"] + coco["right_shoulder"]) / 2
    out[BODY25_NAMES.index("MidHip")] = (coco["left_hip"] + coco["right_hip"]) / 2
    return out


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data))
    return path


# --- the mappings -------------------------------------------------------------


def test_coco17_mapping_is_exact():
    kp = coco_person(300.0)
    ys, xs, ps = from_coco17(kp[None])
    c = {n: kp[i, :2] for i, n in enumerate(COCO17_NAMES)}
    for seed, name in ((R_HIP, "right_hip"), (L_HIP, "left_hip"), (JOINT_INDEX["left_wrist"], "left_wrist")):
        assert (xs[0, seed], ys[0, seed]) == pytest.approx(tuple(c[name]))
    pelvis, thorax = (c["left_hip"] + c["right_hip"]) / 2, (c["left_shoulder"] + c["right_shoulder"]) / 2
    ears = (c["left_ear"] + c["right_ear"]) / 2
    a, b = HEAD_FACTORS["ears"]
    assert (a, b) == (UPPER_NECK_FRACTION, 1 + HEAD_TOP_FRACTION)  # the BlazePose engine's rule
    expected = {PELVIS: pelvis, THORAX: thorax, UPPER_NECK: thorax + a * (ears - thorax), HEAD_TOP: thorax + b * (ears - thorax)}
    for seed, point in expected.items():
        assert (xs[0, seed], ys[0, seed]) == pytest.approx(tuple(point))
    assert np.allclose(ps, 0.9)
    # the head top lands near the top of the head (0.06 of the height above the ears)
    assert ys[0, HEAD_TOP] == pytest.approx(500 - 200 * 1.0, abs=8)


def test_head_falls_back_to_eyes_then_nose_and_missing_joints_get_zero():
    kp = coco_person(300.0)
    ears_gone = kp.copy()
    ears_gone[[3, 4], 2] = 0
    ys, xs, ps = from_coco17(ears_gone[None])
    c = {n: kp[i, :2] for i, n in enumerate(COCO17_NAMES)}
    thorax = (c["left_shoulder"] + c["right_shoulder"]) / 2
    eyes = (c["left_eye"] + c["right_eye"]) / 2
    assert (xs[0, HEAD_TOP], ys[0, HEAD_TOP]) == pytest.approx(tuple(thorax + HEAD_FACTORS["eyes"][1] * (eyes - thorax)))
    only_nose = ears_gone.copy()
    only_nose[[1, 2], 2] = 0
    ys, xs, ps = from_coco17(only_nose[None])
    assert (xs[0, UPPER_NECK], ys[0, UPPER_NECK]) == pytest.approx(tuple(thorax + HEAD_FACTORS["nose"][0] * (c["nose"] - thorax)))
    one_hip = kp.copy()
    one_hip[12] = [np.nan, 7.0, 0.8]  # right hip: not a number -> missing
    ys, xs, ps = from_coco17(one_hip[None])
    assert ps[0, R_HIP] == 0 and ps[0, PELVIS] == 0 and xs[0, R_HIP] == 0 and ps[0, L_HIP] == pytest.approx(0.9)
    no_head = kp.copy()
    no_head[:5, 2] = 0
    assert np.all(from_coco17(no_head[None])[2][0, [UPPER_NECK, HEAD_TOP]] == 0)


def test_body25_uses_midhip_and_neck():
    kp = body25_from_coco(coco_person(300.0))
    kp[BODY25_NAMES.index("MidHip"), :2] += (3.0, -4.0)  # OpenPose's own MidHip wins over the hips' midpoint
    ys, xs, ps = from_body25(kp[None])
    assert (xs[0, PELVIS], ys[0, PELVIS]) == pytest.approx(tuple(kp[BODY25_NAMES.index("MidHip"), :2]))
    assert (xs[0, THORAX], ys[0, THORAX]) == pytest.approx(tuple(kp[BODY25_NAMES.index("Neck"), :2]))
    kp[BODY25_NAMES.index("MidHip"), 2] = 0  # missing: back to the midpoint of the hips
    ys, xs, ps = from_body25(kp[None])
    hips = (kp[BODY25_NAMES.index("RHip"), :2] + kp[BODY25_NAMES.index("LHip"), :2]) / 2
    assert (xs[0, PELVIS], ys[0, PELVIS]) == pytest.approx(tuple(hips))


# --- COCO results -------------------------------------------------------------------


@pytest.fixture(scope="module")
def coco_file(tmp_path_factory) -> Path:
    """12 frames 'frame_1.jpg'..'frame_12.jpg' (listed out of order): a walker crosses while a
    second, more visible person stands in the background in every frame."""
    entries = []
    for n in range(1, 13):
        walker = coco_person(1000 - 60 * n, feet_y=600, height=250, score=0.7)
        stander = coco_person(300, feet_y=350, height=120, score=0.95)
        for kp, score in ((stander, 0.99), (walker, 0.8)):
            entries.append({"image_id": f"frame_{n}.jpg", "category_id": 1, "keypoints": kp.ravel().tolist(), "score": score})
    entries.append({"image_id": "frame_3.jpg", "category_id": 2, "keypoints": [0.0] * 51, "score": 0.5})  # not a person
    order = np.random.default_rng(0).permutation(len(entries))
    return write_json(tmp_path_factory.mktemp("coco") / "results.json", [entries[i] for i in order])


def test_coco_results_pick_the_walker_in_numeric_order(coco_file):
    seq = load_keypoints(coco_file)
    assert seq.source_format == "coco17" and seq.num_frames == 12
    assert seq.sources == [f"frame_{n}.jpg" for n in range(1, 13)]  # frame_10 after frame_9
    assert seq.frame_indices.tolist() == list(range(1, 13))
    assert len(seq.tracks) == 2 and seq.present.all()
    assert seq.coords_x[:, PELVIS] == pytest.approx(1000 - 60 * np.arange(1, 13))  # the walker
    assert np.allclose(seq.probs, 0.7) and np.allclose(seq.scores, 0.8)
    chosen = next(t for t in seq.tracks if t.id == seq.track_id)
    assert chosen.displacement_heights > 2
    # asking for the other track gives the standing person
    other = next(t.id for t in seq.tracks if t.id != seq.track_id)
    assert load_keypoints(coco_file, track_id=other).coords_x[:, PELVIS] == pytest.approx(np.full(12, 300.0))
    with pytest.raises(InputError, match="no track 7"):
        load_keypoints(coco_file, track_id=7)


def test_a_walker_reported_twice_in_some_frames_stays_one_track(tmp_path):
    """Pose tools without a final pose NMS sometimes list one person twice in a frame; followed as
    two people, the copies took frames from each other (72 of 100 frames left, a different vector)."""
    rng = np.random.default_rng(0)
    entries = []
    for n in range(40):
        walker = coco_person(1000 - 20 * n, feet_y=600, height=250, score=0.8)
        entries.append({"image_id": n, "keypoints": walker.ravel().tolist(), "score": 0.9})
        if n % 3 == 0:
            copy = walker.copy()
            copy[:, :2] += rng.normal(0, 1.5, (17, 2))
            entries.append({"image_id": n, "keypoints": copy.ravel().tolist(), "score": 0.6})
    seq = load_keypoints(write_json(tmp_path / "twice.json", entries))
    assert len(seq.tracks) == 1 and seq.present.all()
    assert seq.coords_x[:, PELVIS] == pytest.approx(1000 - 20 * np.arange(40))  # the higher-scored report


def test_coco_integer_ids_and_boxes(tmp_path):
    entries = [{"image_id": i, "keypoints": coco_person(100 + 5 * i).ravel().tolist(), "bbox": [0, 0, 50, 60]} for i in (10, 2, 9, 1)]
    seq = load_keypoints(write_json(tmp_path / "ids.json", entries))
    assert seq.frame_indices.tolist() == [1, 2, 9, 10]
    assert seq.boxes[0] == pytest.approx([0, 0, 50, 60])  # [x, y, w, h] -> corners
    assert seq.fps is None and seq.image_size is None


def test_coco_dataset_with_images(tmp_path):
    data = {
        "images": [{"id": 7, "file_name": "clip_2.png", "width": 640, "height": 480},
                   {"id": 3, "file_name": "clip_11.png", "width": 640, "height": 480}],
        "annotations": [{"image_id": i, "category_id": 1, "keypoints": coco_person(200).ravel().tolist()} for i in (3, 7)],
    }  # fmt: skip
    seq = load_keypoints(write_json(tmp_path / "dataset.json", data))
    assert seq.sources == ["clip_2.png", "clip_11.png"] and seq.frame_indices.tolist() == [2, 11]
    assert seq.image_size == (640, 480)


@pytest.mark.parametrize("keypoints", [26, 133, 136])
def test_whole_body_results_are_read_by_their_coco_part(tmp_path, keypoints):
    """AlphaPose's Halpe-26 and Halpe-136 and COCO-WholeBody begin with COCO's 17 keypoints: the
    same walk with feet, face and hands after them gives the joints of its COCO-17 file."""
    people = [coco_person(100 + 7 * i) for i in range(6)]
    plain = [{"image_id": i, "keypoints": kp.ravel().tolist()} for i, kp in enumerate(people)]
    extra = np.tile([5.0, 6.0, 0.9], keypoints - 17).tolist()
    whole = [{"image_id": i, "keypoints": kp.ravel().tolist() + extra} for i, kp in enumerate(people)]
    a = load_keypoints(write_json(tmp_path / "coco17.json", plain))
    b = load_keypoints(write_json(tmp_path / f"whole{keypoints}.json", whole))
    assert b.source_format == "coco17"
    for name in ("coords_y", "coords_x", "probs"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


# --- OpenPose -------------------------------------------------------------------------


def test_openpose_folder(tmp_path):
    folder = tmp_path / "openpose"
    folder.mkdir()
    for n in range(12):
        people = [] if n == 4 else [{"person_id": [-1], "pose_keypoints_2d": body25_from_coco(coco_person(100 + 20 * n)).ravel().tolist()}]
        write_json(folder / f"walk_{n:012d}_keypoints.json", {"version": 1.3, "people": people})
    assert looks_like_keypoints(folder)
    seq = load_keypoints(folder)
    assert seq.source_format == "openpose-body25" and seq.num_frames == 12
    assert seq.frame_indices.tolist() == list(range(12))
    assert seq.sources[10] == "walk_000000000010_keypoints.json"
    assert seq.present.tolist() == [n != 4 for n in range(12)] and np.all(seq.probs[4] == 0)
    assert seq.coords_x[11, PELVIS] == pytest.approx(100 + 220)


def test_openpose_coco18_single_file(tmp_path):
    body25 = body25_from_coco(coco_person(250))
    coco18 = np.array([body25[BODY25_NAMES.index(n)] for n in COCO18_NAMES])
    seq = load_keypoints(write_json(tmp_path / "one_keypoints.json", {"people": [{"pose_keypoints_2d": coco18.ravel().tolist()}]}))
    assert seq.source_format == "openpose-coco18" and seq.num_frames == 1
    assert seq.coords_x[0, THORAX] == pytest.approx(250)


def test_openpose_without_anybody_is_no_person(tmp_path):
    folder = tmp_path / "nobody"
    folder.mkdir()
    for n in range(3):
        write_json(folder / f"v_{n}_keypoints.json", {"people": []})
    with pytest.raises(NoPersonError, match="no person"):
        load_keypoints(folder)


# --- gaitcli pose JSON ------------------------------------------------------------------


def test_gaitcli_round_trip(coco_file, tmp_path):
    seq = load_keypoints(coco_file)
    seq.probs[5] = 0  # a frame without the person
    seq.fps, seq.image_size = 25.0, (1280, 720)
    out = write_pose_json(tmp_path / "walk.pose.json", seq)
    assert looks_like_keypoints(out) and looks_like_keypoints(coco_file)
    doc = json.loads(out.read_text())
    assert doc["format"] == POSE_FORMAT and len(doc["joint_names"]) == NUM_JOINTS and len(doc["frames"]) == 12
    assert doc["frames"][5]["people"] == [] and len(doc["frames"][0]["people"][0]["joints"]) == NUM_JOINTS
    back = load_keypoints(out)
    assert back.source_format == POSE_FORMAT and back.fps == 25.0 and back.image_size == (1280, 720)
    assert back.sources == seq.sources and back.frame_indices.tolist() == seq.frame_indices.tolist()
    keep = seq.present
    assert back.present.tolist() == keep.tolist()
    for name in ("coords_x", "coords_y"):
        assert getattr(back, name)[keep] == pytest.approx(getattr(seq, name)[keep], abs=0.01)
    assert back.probs == pytest.approx(seq.probs, abs=1e-4)
    assert back.boxes[keep] == pytest.approx(seq.boxes[keep], abs=0.01)
    assert [p.name for p in tmp_path.iterdir()] == ["walk.pose.json"]


def test_write_is_atomic(coco_file, tmp_path):
    target = tmp_path / "keep.json"
    target.write_text("precious")
    seq = load_keypoints(coco_file)
    seq.sources = [object()] * seq.num_frames  # cannot be written as JSON: the write fails half way
    with pytest.raises(TypeError):
        write_pose_json(target, seq)
    assert target.read_text() == "precious" and [p.name for p in tmp_path.iterdir()] == ["keep.json"]
    with pytest.raises(InputError, match="does not exist"):
        write_pose_json(tmp_path / "no" / "such.json", seq)


def test_gaitcli_several_people_are_tracked(tmp_path):
    frames = []
    for n in range(8):
        people = []
        for x in (900 - 50 * n, 200):  # a walker and a person standing still
            ys, xs, ps = from_coco17(coco_person(x)[None])
            people.append({"score": 0.9, "box": None, "joints": np.stack([xs[0], ys[0], ps[0]], 1).tolist()})
        frames.append({"index": n, "source": "clip.mp4", "width": 1000, "height": 600, "people": people})
    seq = load_keypoints(write_json(tmp_path / "pose.json", {"format": POSE_FORMAT, "frames": frames}))
    assert len(seq.tracks) == 2 and seq.coords_x[:, PELVIS] == pytest.approx(900 - 50 * np.arange(8))


def test_reads_what_gaitcli_pose_json_writes(tmp_path):
    from gaitcli.cli.pose import POSE_FORMAT as CLI_FORMAT, pose_frame
    from gaitcli.constants import JOINT_NAMES
    from gaitcli.pose.base import Pose

    frames = []
    for n in range(3):
        ys, xs, ps = from_coco17(coco_person(100 + 40 * n)[None])
        frames.append(pose_frame(n, tmp_path / f"img{n}.jpg", (480, 640, 3), [Pose(ys[0], xs[0], ps[0], score=0.8)]))
    doc = {"format": CLI_FORMAT, "joint_names": list(JOINT_NAMES), "frames": frames}
    seq = load_keypoints(write_json(tmp_path / "pose.json", doc))
    assert seq.image_size == (640, 480) and seq.sources[2].endswith("img2.jpg")
    assert seq.coords_x[:, PELVIS] == pytest.approx([100, 140, 180]) and np.allclose(seq.scores, 0.8)


# --- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage\x81", "not a JSON text file"),
        (b'{"foo": 1}', "not a keypoint file gaitcli knows"),
        (b"[1, 2, 3]", "not a keypoint file gaitcli knows"),
        (b"[]", "holds no keypoints"),
        (b'[{"image_id": 1, "keypoints": [1, 2, 3]}]', "COCO-17 needs 51"),
        (b'[{"image_id": 1, "keypoints": null}]', "has keypoints null, not a list; COCO-17 needs 51 numbers"),
        (b'[{"image_id": 0, "keypoints": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}, {"image_id": -4, "keypoints": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}]', "frame number -4 is outside 0 to"),
        (b'[{"image_id": 0, "keypoints": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}, {"image_id": "abc", "keypoints": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}]', "mix numbers and names .such as .abc"),
        (b'{"format": "gaitcli.pose/1", "frames": [{"index": 0, "people": []}, {"people": []}]}',
         'frame 1 has no "index" while other frames have one'),
        (b'[{"image_id": 1, "keypoints": ' + json.dumps(["a"] * 51).encode() + b"}]", "not numbers"),
        (b'[{"image_id": 1, "category_id": 3, "keypoints": []}]', "no person keypoints"),
        (b'{"format": "gaitcli.pose/9", "frames": []}', "gaitcli.pose/1"),
        (b'{"format": "gaitcli-vectors", "version": 1, "sources": []}', r"metadata of the vectors in .*bad \(written by `gaitcli embed --out`\)"),
        (b'{"format": "gaitcli.pose/1", "frames": []}', "no frames"),
        (b'{"format": "gaitcli.pose/1", "pose_engine": "\\u001b[31mmine", "frames": []}', "pose_engine.*expected one of blazepose"),
        (b'{"format": "gaitcli.pose/1", "frames": [{"index": 0, "people": [{"joints": [[1, 2]]}]}]}', r"16 x \[x, y, p\]"),
        (b'{"people": [{"pose_keypoints_2d": [1, 2, 3]}]}', "BODY_25 needs 75"),
    ],
)
def test_bad_keypoint_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_keypoints(path)


def test_bad_paths(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_keypoints(tmp_path / "missing.json")
    with pytest.raises(InputError, match="no OpenPose"):
        load_keypoints(tmp_path)
    (tmp_path / "x_0_keypoints.json").write_text('{"frames": 3}')
    with pytest.raises(InputError, match="not an OpenPose keypoint file"):
        load_keypoints(tmp_path)
    assert not looks_like_keypoints(tmp_path / "missing.json")
    (tmp_path / "frame.png").write_bytes(b"")
    assert not looks_like_keypoints(tmp_path)  # images beside JSON: a frame folder
