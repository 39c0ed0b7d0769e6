"""`gaitcli train pose`: targets, annotations, and a tiny end-to-end training with --init and --resume.

The network is big (one step takes seconds on CPU), so the end-to-end part is two CLI runs
of one step each on two rendered figures, shared by the tests of this module.
"""

from __future__ import annotations

import json
import math

import cv2
import h5py
import numpy as np
import pytest

from gaitcli.cli.main import main
from gaitcli.errors import InputError

SCORING_SHAPE = (1, 1, 768, 32)  # only the Scoring_layer kernel has this shape
MARK = 0.0123


def standing(cx: float, top: float, height: float) -> np.ndarray:
    """(16, 2) pixel (x, y) of an upright figure, seed joint order."""
    u = height / 8.0
    xy = [
        (cx - 0.4 * u, top + 8 * u), (cx - 0.4 * u, top + 6 * u), (cx - 0.5 * u, top + 4 * u),
        (cx + 0.5 * u, top + 4 * u), (cx + 0.4 * u, top + 6 * u), (cx + 0.4 * u, top + 8 * u),
        (cx, top + 4 * u), (cx, top + 1.6 * u), (cx, top + 1.2 * u), (cx, top),
        (cx - 1.3 * u, top + 4 * u), (cx - 1.2 * u, top + 2.8 * u), (cx - 0.9 * u, top + 1.6 * u),
        (cx + 0.9 * u, top + 1.6 * u), (cx + 1.2 * u, top + 2.8 * u), (cx + 1.3 * u, top + 4 * u),
    ]  # fmt: skip
    return np.array(xy, dtype=np.float64)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Two rendered figures (200x150 and 160x220) and their annotation file."""
    from gaitcli.synth.figure import render_figure

    folder = tmp_path_factory.mktemp("poses")
    (folder / "images").mkdir()
    entries = []
    for i, (h, w, cx) in enumerate([(200, 150, 75), (160, 220, 120)]):
        joints = standing(cx, 15, h - 30)
        image = render_figure(joints, size=(h, w), seed=i)
        cv2.imwrite(str(folder / "images" / f"fig{i}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        visible = [1] * 16
        visible[10] = i  # the first figure's right wrist is not annotated as visible
        entries.append({"image": f"images/fig{i}.png", "joints": joints.tolist(), "visible": visible})
    path = folder / "annotations.json"
    path.write_text(json.dumps(entries))
    return path


def run(args, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def _scoring_kernel(path) -> np.ndarray:
    found = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.append(obj[()]) if getattr(obj, "shape", None) == SCORING_SHAPE else None)
    assert len(found) == 1
    return found[0]


# --- targets and annotations (no network) ----------------------------------------------------


def test_target_maps():
    from gaitcli.training.pose import target_maps

    ys, xs = np.full(16, 100.0), np.linspace(20, 270, 16)
    visible = np.ones(16)
    visible[3] = 0
    disks = target_maps(ys, xs, visible, "sce")
    assert disks.shape == (289, 289, 16) and set(np.unique(disks)) == {0.0, 1.0}
    # the seed's disk of diameter 15: every pixel within 7.5 px of the (rounded) joint
    r, c = np.nonzero(disks[:, :, 0])
    assert len(r) == 177 and r.min() == 93 and r.max() == 107 and c.min() == 13 and c.max() == 27
    assert disks[:, :, 3].max() == 0  # invisible joint: empty map
    gauss = target_maps(ys, xs, visible, "mse")
    assert gauss[100, 20, 0] == pytest.approx(1.0) and gauss[105, 20, 0] == pytest.approx(math.exp(-0.5), rel=1e-6)


def test_batches_put_the_targets_on_the_annotated_joints(dataset):
    from gaitcli.training.pose import load_annotations, load_batch

    samples = load_annotations(dataset)
    images, targets, visible, joints = load_batch(samples, "sce")
    assert images.shape == (2, 299, 299, 3) and targets.shape == (2, 289, 289, 16)
    assert visible[0, 10] == 0 and visible[1].all()
    # figure 0 is 200 high x 150 wide: scaled to 299 x 224 and centred horizontally
    sy, sx, pad = 299 / 200, 224 / 150, (299 - 224) // 2
    x, y = samples[0].joints[9]  # head top
    hy, hx = ((y + 0.5) * sy - 0.5) * 289 / 299, ((x + 0.5) * sx - 0.5 + pad) * 289 / 299
    np.testing.assert_allclose(joints[0, :, 9], [hy, hx], atol=1e-4)
    r, c = np.nonzero(targets[0, :, :, 9])
    assert abs(r.mean() - round(hy)) < 0.01 and abs(c.mean() - round(hx)) < 0.01
    # the image really is where the targets are: the figure's head is darker than the backdrop
    head = images[0, int(hy * 299 / 289) + 6, int(hx * 299 / 289)]
    assert head.mean() < images[0, 5, 150].mean()


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ("[]", "non-empty JSON list"),
        ('[{"image": "images/fig0.png", "joints": [[1, 2]]}]', "16 finite"),
        ('[{"image": "images/fig0.png", "joints": %s, "visible": [2]}]' % json.dumps([[1, 2]] * 16), "0 or 1"),
        ('[{"image": "images/absent.png", "joints": %s}]' % json.dumps([[1, 2]] * 16), "image not found"),
    ],
)
def test_bad_annotations(dataset, content, message):
    from gaitcli.training.pose import load_annotations

    bad = dataset.parent / "bad.json"
    bad.write_text(content)
    with pytest.raises(InputError, match=message):
        load_annotations(bad)


# --- end to end --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def init_weights(tmp_path_factory):
    """Weights to start from, marked: every Scoring_layer weight is MARK."""
    import keras

    from gaitcli.pose.ir_network import HumanPoseIRNetwork

    net = HumanPoseIRNetwork()
    scoring = net.get_layer("NewInceptionResnetV2.AuxiliaryScoring.Scoring_layer").kernel
    scoring.assign(np.full(SCORING_SHAPE, MARK, np.float32))
    path = net.save(tmp_path_factory.mktemp("init") / "start.weights.h5")
    del net
    keras.backend.clear_session()
    return path


def _train_run(dataset, out, extra) -> dict:
    try:
        main([str(a) for a in ["train", "pose", dataset, "--out", out, "--batch-size", "2", "--json", *extra]])
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    return {"code": code, "state": json.loads((out / "state.json").read_text()),
            "kernel": _scoring_kernel(out / "pose.weights.h5"), "files": sorted(p.name for p in out.iterdir())}  # fmt: skip


@pytest.fixture(scope="module")
def trained(dataset, init_weights, tmp_path_factory):
    """One step from --init (tiny learning rate)."""
    out = tmp_path_factory.mktemp("train") / "run"
    first = _train_run(dataset, out, ["--epochs", "1", "--init", init_weights, "--learning-rate", "1e-9"])
    return {"out": out, **{f"first_{k}" if k != "code" else "first": v for k, v in first.items()}}


@pytest.fixture(scope="module")
def resumed(dataset, trained):
    """Then --resume for one more epoch (one step)."""
    second = _train_run(dataset, trained["out"], ["--epochs", "2", "--resume", "--learning-rate", "1e-3"])
    return {**trained, **{f"resumed_{k}" if k != "code" else "resumed": v for k, v in second.items()}}


def test_first_run_starts_from_init_and_writes_a_checkpoint(trained):
    assert trained["first"] == 0
    state = trained["first_state"]
    assert state["step"] == 1 and state["epoch"] == 1 and state["loss"] == "sce"
    record = state["history"][0]
    assert math.isfinite(record["loss"]) and record["loss"] > 0 and math.isfinite(record["mean_joint_distance_px"])
    assert trained["first_files"] == [
        "pose.weights.h5",
        "state.json",
        "step-0000001.optimizer.npz",
        "step-0000001.weights.h5",
    ]
    # started from --init: the marked weights moved by no more than the tiny learning rate allows
    np.testing.assert_allclose(trained["first_kernel"], MARK, atol=1e-6)


@pytest.mark.slow
def test_resume_continues_the_step_count(resumed):
    trained = resumed
    assert trained["resumed"] == 0
    state = trained["resumed_state"]
    assert state["step"] == 2 and state["epoch"] == 2 and [h["epoch"] for h in state["history"]] == [1, 2]
    assert all(math.isfinite(h["loss"]) for h in state["history"])
    # the resumed step trained the weights it had loaded, and the older step's files are gone
    moved = np.abs(trained["resumed_kernel"] - trained["first_kernel"]).max()
    assert 1e-5 < moved < 0.1
    assert "step-0000002.weights.h5" in trained["resumed_files"] and "step-0000001.weights.h5" not in trained["resumed_files"]


def test_training_refusals(trained, dataset, tmp_path, capsys):
    out = trained["out"]
    cases = [
        (["--out", out, "--epochs", "3"], "pass --resume"),
        (["--out", out, "--epochs", "1", "--resume"], "larger --epochs"),
        (["--out", out, "--epochs", "3", "--resume", "--loss", "mse"], "same loss"),
        (["--out", tmp_path / "new", "--resume"], "nothing to resume"),
        (["--out", tmp_path / "new", "--resume", "--init", "x.ckpt"], "cannot start from --init"),
        (["--out", tmp_path / "new", "--learning-rate", "0"], "positive"),
        (["--out", tmp_path / "new", "--init", tmp_path / "absent.ckpt"], "not found"),
    ]
    for extra, message in cases:
        code, out_text, err = run(["train", "pose", dataset, *extra], capsys)
        assert code == 3 and message in err and err.count("\n") == 1, (extra, err)
        assert out_text == ""
    assert not (tmp_path / "new").exists()
    code, _, err = run(["train", "pose", tmp_path / "absent.json", "--out", tmp_path / "new"], capsys)
    assert code == 3 and "annotation file not found" in err
