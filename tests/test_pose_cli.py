"""`gaitcli pose` end to end: tables, JSON, drawings, --out rules and every bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from gaitcli.cli.main import main
from gaitcli.constants import JOINT_NAMES, PELVIS
from gaitcli.io.images import load_image, save_image
from gaitcli.synth.figure import Appearance, render_figure

FRONT = np.array(
    [[156, 410], [158, 330], [160, 250], [200, 250], [202, 330], [204, 410], [180, 250], [180, 150],
     [180, 125], [180, 80], [130, 270], [135, 215], [145, 155], [215, 155], [225, 215], [230, 270]],
    dtype=float,
)  # fmt: skip


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """A folder with a one-person figure, a two-person picture, a person-less picture and bad files."""
    d = tmp_path_factory.mktemp("pose_cli")
    save_image(d / "figure.png", render_figure(FRONT, size=(480, 360), appearance=Appearance()))
    big = render_figure(FRONT + [20, 0], size=(480, 640), appearance=Appearance())
    small = (FRONT - FRONT[PELVIS]) * 0.6 + [480, 300]
    save_image(d / "two.jpg", render_figure(small, background=big, appearance=Appearance(shirt=(200, 40, 40))))
    save_image(d / "empty_room.png", np.full((240, 320, 3), 200, np.uint8))
    (d / "zero.jpg").write_bytes(b"")
    (d / "notes.png").write_text("not an image\n")
    jpeg = cv2.imencode(".jpg", cv2.cvtColor(load_image(d / "figure.png"), cv2.COLOR_RGB2BGR))[1].tobytes()
    (d / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + (90_000).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
    (d / "huge.png").write_bytes(header + b"\x00" * 4 + b"\x00\x00\x00\x00IEND\xaeB`\x82")
    (d / "folder").mkdir()
    return d


def run(args, capsys) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_table_output(images, capsys):
    code, out, err = run(["pose", images / "figure.png"], capsys)
    assert code == 0 and err == ""
    assert "figure.png" in out
    for name in JOINT_NAMES:
        assert name.replace("_", " ") in out
    assert out.count("%") >= 17  # a probability per joint plus the score


def test_json_schema(images, capsys):
    code, out, err = run(["pose", images / "figure.png", images / "two.jpg", "--json", "--all"], capsys)
    assert code == 0 and err == ""
    data = json.loads(out)  # stdout holds nothing but the JSON
    assert set(data) == {"format", "joint_names", "frames", "failures"} and data["failures"] == []
    assert data["format"] == "gaitcli.pose/1" and data["joint_names"] == list(JOINT_NAMES)
    first, second = data["frames"]
    assert set(first) == {"index", "source", "width", "height", "people"}
    assert (first["index"], first["source"], first["width"], first["height"]) == (0, str(images / "figure.png"), 360, 480)
    assert second["index"] == 1 and (second["width"], second["height"]) == (640, 480)
    assert len(first["people"]) == 1 and len(second["people"]) == 2
    person = first["people"][0]
    assert set(person) == {"score", "box", "joints"}
    assert 0.5 < person["score"] <= 1 and len(person["box"]) == 4
    joints = np.array(person["joints"])
    assert joints.shape == (16, 3) and ((joints[:, 2] >= 0) & (joints[:, 2] <= 1)).all()
    assert np.linalg.norm(joints[:, :2] - FRONT, axis=1).max() < 30  # within 0.3 torso lengths
    # the bigger person first
    boxes = [p["box"] for p in second["people"]]
    assert (boxes[0][3] - boxes[0][1]) > (boxes[1][3] - boxes[1][1])

    code, out, _ = run(["pose", images / "two.jpg", "--json"], capsys)
    assert len(json.loads(out)["frames"][0]["people"]) == 1  # without --all: the most prominent only


def test_json_reads_back_as_a_keypoint_sequence(images, tmp_path, capsys):
    """The keypoint reader takes `gaitcli pose --json` as one frame per image."""
    from gaitcli.io.keypoints import load_keypoints

    code, out, _ = run(["pose", images / "figure.png", images / "two.jpg", "--json"], capsys)
    assert code == 0
    (tmp_path / "poses.json").write_text(out)
    sequence = load_keypoints(tmp_path / "poses.json")
    frames = json.loads(out)["frames"]
    assert sequence.coords_x.shape == (2, 16)
    for i, frame in enumerate(frames):
        joints = np.array(frame["people"][0]["joints"])
        assert np.allclose(sequence.coords_x[i], joints[:, 0]) and np.allclose(sequence.coords_y[i], joints[:, 1])


def test_out_single_file(images, tmp_path, capsys):
    before = _sha(images / "figure.png")
    target = tmp_path / "drawn" / "skeleton.jpg"
    code, out, err = run(["pose", images / "figure.png", "--out", target, "--json"], capsys)
    assert code == 0 and json.loads(out)["frames"]  # stdout stays pure JSON with --out
    assert str(target) in err
    drawn, original = load_image(target), load_image(images / "figure.png")
    assert drawn.shape == original.shape
    assert np.abs(drawn.astype(int) - original).max() > 100  # the skeleton is on it
    assert _sha(images / "figure.png") == before


def test_out_folder_for_several_images(images, tmp_path, capsys):
    code, _, err = run(["pose", images / "figure.png", images / "two.jpg", "-o", tmp_path / "drawings"], capsys)
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "drawings").iterdir()) == ["figure_pose.png", "two_pose.jpg"]


def test_out_rules(images, tmp_path, capsys):
    before = _sha(images / "figure.png")
    cases = [
        ["pose", images / "figure.png", "--out", images / "figure.png"],  # the input itself
        ["pose", images / "figure.png", images / "two.jpg", "--out", tmp_path / "x.png"],  # several -> a file name
        ["pose", images / "figure.png", "--out", tmp_path / "x.txt"],  # not an image type
    ]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "figure.png").write_bytes((images / "figure.png").read_bytes())
    cases.append(["pose", images / "figure.png", tmp_path / "a" / "figure.png", "--out", tmp_path / "o"])  # same names
    for args in cases:
        code, out, err = run(args, capsys)
        assert code == 3 and out == "", args
        assert err.startswith("gaitcli: error: --out") and err.count("\n") == 1, err
    assert _sha(images / "figure.png") == before
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "name, code, words",
    [
        ("missing.jpg", 3, "no such file"),
        ("folder", 3, "directory"),
        ("zero.jpg", 3, "empty"),
        ("notes.png", 3, "not an image"),
        ("cut.jpg", 3, "truncated"),
        ("huge.png", 3, "megapixels"),
        ("empty_room.png", 4, "no person"),
    ],
)
def test_bad_inputs(images, capsys, name, code, words):
    got, out, err = run(["pose", images / name, "--json"], capsys)
    assert got == code and json.loads(out)["frames"] == []
    assert json.loads(out)["failures"] == [{"input": str(images / name), "error": err[len("gaitcli: error: "):].strip(), "exit_code": code}]
    assert err.startswith("gaitcli: error: ") and err.count("\n") == 1 and words in err
    assert "Traceback" not in err


def test_engine_options(images, capsys):
    code, _, err = run(["pose", images / "figure.png", "--engine", "ir"], capsys)
    assert code == 5 and "--checkpoint" in err and err.count("\n") == 1
    code, _, err = run(["pose", images / "figure.png", "--checkpoint", "x.ckpt"], capsys)
    assert code == 3 and err.count("\n") == 1
    code, _, _ = run(["pose", images / "figure.png", "--engine", "openpose"], capsys)
    assert code == 2


def test_a_bad_image_does_not_stop_the_batch(images, capsys, tmp_path):
    """Every image is tried: the bad ones are one stderr line and one JSON record each, the good
    ones are posed and drawn, and the exit code is the first failed image's."""
    args = [images / "empty_room.png", images / "figure.png", images / "notes.png", images / "missing.jpg"]
    code, out, err = run(["pose", *args, "--json", "--out", tmp_path / "drawn"], capsys)
    data = json.loads(out)
    assert code == 4 and [f["source"] for f in data["frames"]] == [str(images / "figure.png")]
    assert [(f["input"], f["exit_code"]) for f in data["failures"]] == [(str(args[0]), 4), (str(args[2]), 3), (str(args[3]), 3)]
    lines = err.splitlines()
    assert [line for line in lines if line.startswith("gaitcli: error: ")] == [f"gaitcli: error: {f['error']}" for f in data["failures"]]
    assert (tmp_path / "drawn" / "figure_pose.png").is_file()
    code, out, _ = run(["pose", *args, "--format", "csv"], capsys)
    rows = out.splitlines()
    assert code == 4 and rows[0] == "image,person,joint,x,y,probability" and len(rows) == 1 + 16
    assert all(row.startswith(f"{images / 'figure.png'},1,") for row in rows[1:])


def test_subprocess_real_photo(shared_data):
    """The installed entry point on the real photo: exit 0, JSON only on stdout, the girl first."""
    photo = shared_data / "images" / "dummy.jpg"
    result = subprocess.run(
        [sys.executable, "-m", "gaitcli.cli.main", "pose", str(photo), "--json", "--all"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    frame = json.loads(result.stdout)["frames"][0]
    assert (frame["width"], frame["height"]) == (561, 561) and len(frame["people"]) == 2
    girl = np.array(frame["people"][0]["joints"])
    assert 200 < girl[PELVIS, 0] < 330 and girl[:, 2].mean() > 0.9


def test_help_lists_the_commands_without_heavy_imports():
    result = subprocess.run([sys.executable, "-m", "gaitcli.cli.main", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "pose" in result.stdout and "models" in result.stdout
    # what keeps `gaitcli --help` fast: registering the commands loads no model runtime
    probe = "import sys, gaitcli.cli.main; print(sorted({'tensorflow', 'sklearn', 'ai_edge_litert', 'cv2'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr
