"""HumanPoseIRNetwork: fidelity to the seed's TF-1 graph, checkpoint loading, the ``ir`` engine and CLI.

The seed's graph is rebuilt in raw tf.compat.v1 ops with the seed's variable names
(tests/tf1_graphs.py), randomly initialised (batch-norm statistics too), saved as TF-1 V2
and V1 checkpoints and run; the Keras network loaded from those files must reproduce its
features, heat maps and joint positions within 1e-4.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from gaitcli.cli.main import main
from gaitcli.errors import InputError, ModelError
from tf1_graphs import seed_pose_checkpoint, tiny_checkpoint

TOL = 1e-4


def _images() -> np.ndarray:
    """Two different 299x299 RGB images: blurred noise, and a gradient with a red block."""
    rng = np.random.default_rng(1)
    noise = cv2.GaussianBlur(rng.integers(0, 256, (299, 299, 3)).astype(np.uint8), (0, 0), 5)
    block = np.zeros((299, 299, 3), np.uint8)
    block[:] = np.linspace(0, 255, 299)[None, :, None].astype(np.uint8)
    block[60:200, 100:160] = (220, 40, 40)
    return np.stack([noise, block])


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """The seed graph's checkpoints and reference outputs on :func:`_images`."""
    images = _images()
    ref = seed_pose_checkpoint(images, tmp_path_factory.mktemp("seed_pose"))
    ref["images"] = images
    return ref


@pytest.fixture(scope="module")
def net(seed):
    from gaitcli.pose.ir_network import HumanPoseIRNetwork

    network = HumanPoseIRNetwork()
    network.restore(seed["v2"])
    return network


def _scoring(net):
    return net.get_layer("NewInceptionResnetV2.AuxiliaryScoring.Scoring_layer")


def _assert_matches_seed(net, seed):
    out = net.infer(seed["images"], with_maps=True)
    for key in ("features", "logits", "heat_maps", "coords_y", "coords_x", "probabilities"):
        assert out[key].shape == seed[key].shape, key
        np.testing.assert_allclose(out[key], seed[key], atol=TOL, rtol=0, err_msg=key)


def test_reference_outputs_are_not_degenerate(seed):
    # the comparison means something only if the outputs vary with the image and the joint
    assert seed["features"].std() > 0.3
    assert np.ptp(seed["probabilities"]) > 0.1
    assert not np.array_equal(seed["coords_x"][0], seed["coords_x"][1])
    assert len(np.unique(seed["coords_y"][0])) > 8


def test_v2_checkpoint_reproduces_the_seed_graph(net, seed):
    _assert_matches_seed(net, seed)


def test_v1_checkpoint_reproduces_the_seed_graph(net, seed):
    kernel = _scoring(net).kernel
    kernel.assign(np.zeros(kernel.shape, np.float32))
    assert np.abs(net.infer(seed["images"][:1])["features"]).max() < 1.0  # only the bias is left
    net.restore(seed["v1"])
    _assert_matches_seed(net, seed)


def test_seed_methods(net, seed):
    ys, xs, ps = net.joint_positions(seed["images"])
    assert ys.shape == xs.shape == ps.shape == (2, 16)
    np.testing.assert_allclose(xs, seed["coords_x"], atol=TOL)
    assert net.heat_maps(list(seed["images"][1:])).shape == (1, 289, 289, 16)
    single = net.feed_forward_features(seed["images"][0])  # one (299, 299, 3) image is a batch of 1
    np.testing.assert_allclose(single, seed["features"][:1], atol=TOL)
    assert net.feed_forward_features([]).shape == (0, 17, 17, 32)
    with pytest.raises(InputError, match="299x299"):
        net.joint_positions(np.zeros((1, 200, 200, 3), np.uint8))


def test_native_weights_round_trip(net, seed, tmp_path):
    path = net.save(tmp_path / "pose.weights.h5")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pose.weights.h5"]  # no temporary left
    kernel = _scoring(net).kernel
    kernel.assign(kernel.numpy() + 1.0)
    net.restore(path)
    _assert_matches_seed(net, seed)
    with pytest.raises(InputError, match="weights.h5"):
        net.save(tmp_path / "pose.h5")


def test_checkpoint_given_as_one_of_its_files(net, seed):
    _scoring(net).bias.assign(np.full(32, 5.0, np.float32))
    net.restore(seed["v2"] + ".index")
    np.testing.assert_allclose(net.feed_forward_features(seed["images"]), seed["features"], atol=TOL)


def test_trunk_only_restore_keeps_the_head(net, seed):
    trunk = net.get_layer("InceptionResnetV2.Conv2d_1a_3x3").kernel
    head = _scoring(net).kernel
    trunk.assign(np.zeros(trunk.shape, np.float32))
    head.assign(np.full(head.shape, 0.25, np.float32))
    net.restore(seed["v2"], trunk_only=True)
    assert np.abs(trunk.numpy()).max() > 0.01  # loaded
    assert np.all(head.numpy() == 0.25)  # untouched
    net.restore(seed["v2"])


def _first_kernel() -> dict:
    return {"InceptionResnetV2/Conv2d_1a_3x3/weights": np.ones((3, 3, 3, 32), np.float32)}


SCORING = {"NewInceptionResnetV2/AuxiliaryScoring/Scoring_layer/weights": np.ones((1, 1, 768, 32), np.float32)}


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"GaitNN/DownSampling/17x17/Conv2d/weights": np.ones((1, 1, 32, 256), np.float32)}, "GaitNN gait checkpoint"),
        (_first_kernel(), "gaitcli train pose --init"),
        ({"some/other/variable": np.ones(3, np.float32)}, "some/other/variable"),
        (
            {"InceptionResnetV2/Conv2d_1a_3x3/weights": np.ones((3, 3, 3, 16), np.float32), **SCORING},
            r"InceptionResnetV2/Conv2d_1a_3x3/weights is shaped \[3, 3, 3, 16\], expected \[3, 3, 3, 32\]",
        ),
        ({**_first_kernel(), **SCORING}, "no variable InceptionResnetV2/Conv2d_1a_3x3/BatchNorm/beta"),
    ],
    ids=["gait", "imagenet-trunk", "foreign", "mis-shaped", "missing"],
)
def test_wrong_checkpoints_are_clear_errors_and_change_nothing(net, seed, tmp_path, variables, message):
    path = tiny_checkpoint(tmp_path / "bad.ckpt", variables)
    before = net.get_layer("InceptionResnetV2.Conv2d_1a_3x3").kernel.numpy()
    with pytest.raises(ModelError, match=message):
        net.restore(path)
    assert np.array_equal(net.get_layer("InceptionResnetV2.Conv2d_1a_3x3").kernel.numpy(), before)


def test_missing_and_corrupt_files(net, tmp_path):
    with pytest.raises(InputError, match="not found"):
        net.restore(tmp_path / "absent.ckpt")
    with pytest.raises(InputError, match="not found"):
        net.restore(tmp_path / "absent.weights.h5")
    with pytest.raises(InputError, match="directory"):
        net.restore(tmp_path)
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint" * 64)
    with pytest.raises(ModelError, match="cannot read"):
        net.restore(tmp_path / "junk.ckpt")
    (tmp_path / "junk.weights.h5").write_bytes(b"not hdf5" * 64)
    with pytest.raises(ModelError, match="not a HumanPoseIRNetwork weights file"):
        net.restore(tmp_path / "junk.weights.h5")


# --- the ir engine --------------------------------------------------------------------------


def test_letterbox_geometry():
    from gaitcli.pose.ir_engine import letterbox

    image = np.zeros((150, 400, 3), np.uint8)
    cv2.circle(image, (300, 100), 4, (255, 255, 255), -1)  # a white dot at x=300, y=100
    square, box = letterbox(image)
    assert square.shape == (299, 299, 3) and box.content == (299, 112) and (box.pad_x, box.pad_y) == (0, 93)
    assert square[:93].max() == 0 and square[93 + 112 :].max() == 0  # black bars
    rows, cols = np.nonzero(square.sum(axis=2) > 300)
    ey, ex = box.to_input(100, 300)
    assert abs(rows.mean() - ey) < 0.5 and abs(cols.mean() - ex) < 0.5
    back = box.to_image(*box.to_input([0.0, 149.0], [0.0, 399.0]))
    np.testing.assert_allclose(back, [[0.0, 149.0], [0.0, 399.0]], atol=1e-9)
    stretched, sbox = letterbox(image, fit="stretch")
    assert stretched.min() >= 0 and (sbox.pad_x, sbox.pad_y) == (0, 0) and sbox.content == (299, 299)
    with pytest.raises(InputError):
        letterbox(np.zeros((10, 10), np.uint8))


@pytest.fixture(scope="module")
def estimator(seed):
    from gaitcli.pose import load_estimator

    return load_estimator("ir", checkpoint=seed["v2"])


@pytest.fixture(scope="module")
def wide_image(seed):
    """A 240 x 400 image (not square: the letterbox matters)."""
    return cv2.resize(seed["images"][1], (400, 240), interpolation=cv2.INTER_LINEAR)


def test_estimator_maps_joints_back_to_the_image(estimator, net, seed, wide_image):
    from gaitcli.pose.base import PoseEstimator
    from gaitcli.pose.ir_engine import letterbox

    assert isinstance(estimator, PoseEstimator) and estimator.feature_space == "seed-ir-v1"
    # a 299x299 image is its own network input
    ys, xs, ps = estimator.joint_positions(seed["images"])
    np.testing.assert_allclose(ys, seed["coords_y"], atol=TOL)
    np.testing.assert_allclose(xs, seed["coords_x"], atol=TOL)
    # any other size: the network's joints on the letterboxed input, in the image's pixels
    square, box = letterbox(wide_image)
    ny, nx, nps = net.joint_positions(square)
    ey, ex = box.to_image(ny, nx)
    ys, xs, ps = estimator.joint_positions([wide_image])
    np.testing.assert_allclose(ys, ey, atol=TOL)
    np.testing.assert_allclose(xs, ex, atol=TOL)
    np.testing.assert_allclose(ps, nps, atol=TOL)
    np.testing.assert_allclose(estimator.feed_forward_features([wide_image]), net.feed_forward_features(square), atol=TOL)


def test_estimator_poses_and_heat_maps(estimator, wide_image):
    ys, xs, ps = estimator.joint_positions([wide_image])
    people = estimator.poses(wide_image)
    assert len(people) == 1
    pose = people[0]
    np.testing.assert_allclose(pose.coords_x, xs[0])
    assert pose.score == pytest.approx(float(ps.mean()), abs=1e-6)
    x0, y0, x1, y1 = pose.box
    assert 0 <= x0 <= x1 <= 399 and 0 <= y0 <= y1 <= 239
    assert len(estimator.poses(wide_image, max_people=None)) == 1  # one person per image at most
    assert estimator.poses(wide_image, max_people=0) == []
    maps = estimator.heat_maps([wide_image])
    assert maps.shape == (1, 240, 400, 16)
    # each map's peak lies where the joint was found (the maps are resampled, so within a few px)
    # (joints found in the letterbox's bars lie outside the image, and so do their maps' peaks)
    inside = (ys[0] > 2) & (ys[0] < 237) & (xs[0] > 2) & (xs[0] < 397)
    assert inside.sum() >= 4
    peak_y, peak_x = np.unravel_index(maps[0].reshape(-1, 16).argmax(axis=0), (240, 400))
    assert np.all(np.hypot(peak_y - ys[0], peak_x - xs[0])[inside] < 3.0)


def test_estimator_reports_no_person_below_min_score(estimator, wide_image):
    estimator.min_score = 0.999
    try:
        assert estimator.poses(wide_image) == []
    finally:
        estimator.min_score = 0.2


# --- CLI ---------------------------------------------------------------------------------------


def run(args, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def test_cli_pose_with_the_ir_engine(seed, estimator, wide_image, tmp_path, capsys):
    path = tmp_path / "wide.png"
    cv2.imwrite(str(path), cv2.cvtColor(wide_image, cv2.COLOR_RGB2BGR))
    code, out, err = run(["pose", path, "--engine", "ir", "--checkpoint", seed["v2"], "--json"], capsys)
    assert code == 0, err
    frame = json.loads(out)["frames"][0]
    assert (frame["width"], frame["height"]) == (400, 240)
    joints = np.array(frame["people"][0]["joints"])  # [x, y, p] x 16
    ys, xs, ps = estimator.joint_positions([wide_image])
    np.testing.assert_allclose(joints[:, 0], xs[0], atol=0.01)
    np.testing.assert_allclose(joints[:, 1], ys[0], atol=0.01)
    np.testing.assert_allclose(joints[:, 2], ps[0], atol=1e-4)


def test_cli_ir_engine_refuses_bad_checkpoints(tmp_path, capsys):
    path = tmp_path / "img.png"
    cv2.imwrite(str(path), np.full((50, 40, 3), 128, np.uint8))
    code, _, err = run(["pose", path, "--engine", "ir"], capsys)
    assert code == 5 and "--checkpoint" in err and err.count("\n") == 1
    gait = tiny_checkpoint(tmp_path / "gait.ckpt", {"GaitNN/FullyConnected/weights": np.ones((4, 2), np.float32)})
    code, _, err = run(["pose", path, "--engine", "ir", "--checkpoint", gait], capsys)
    assert code == 5 and "gait checkpoint" in err and err.count("\n") == 1
    code, _, err = run(["pose", path, "--engine", "ir", "--checkpoint", tmp_path / "absent.ckpt"], capsys)
    assert code == 3 and "not found" in err and err.count("\n") == 1


def test_cli_convert_writes_weights_that_reproduce_the_seed(net, seed, tmp_path, capsys):
    out = tmp_path / "mpii+lsp.weights.h5"
    code, stdout, err = run(["convert", seed["v2"], out, "--json"], capsys)
    assert code == 0, err
    assert json.loads(stdout)["feature_space"] == "seed-ir-v1"
    _scoring(net).kernel.assign(np.zeros((1, 1, 768, 32), np.float32))
    net.restore(out)
    _assert_matches_seed(net, seed)


@pytest.mark.slow
def test_cli_embed_runs_the_seeds_whole_pipeline(seed, tmp_path, capsys, repo_root):
    """`embed --pose-checkpoint --gait-checkpoint`: the seed's features on walker crops -> the seed's GaitNN."""
    from tf1_gait_graphs import build_seed_gait_checkpoint

    gait = tmp_path / "H3.6m-GRU-1.ckpt"
    build_seed_gait_checkpoint(gait, "GRU", 1)
    clip = repo_root / "sample_videos" / "person2_walk2.mp4"
    code, out, err = run(
        ["embed", clip, "--pose-checkpoint", seed["v2"], "--gait-checkpoint", gait, "--json"], capsys
    )
    assert code == 0, err
    record = json.loads(out)[0]
    assert record["feature_space"] == "seed-ir-v1"
    vector = np.array(record["vector"])
    assert vector.shape == (512,) and abs(np.linalg.norm(vector) - 1) < 1e-5
    assert record["frames_used"] >= 60  # the walker was found and followed (BlazePose) on most frames


def test_the_seeds_gait_checkpoint_refuses_joint_maps(tmp_path, capsys, repo_root):
    from tf1_gait_graphs import build_seed_gait_checkpoint

    gait = tmp_path / "GRU-1.ckpt"  # narrow: what is refused is its feature space, not its size
    narrow = {"stem": 16, "block8_channels": 32, "block8_inner": 8, "block4_channels": 32, "block4_inner": 8,
              "head_1x1": 16, "head_3x3": 16, "fc": 16, "rnn_units": 16}  # fmt: skip
    build_seed_gait_checkpoint(gait, "GRU", 1, widths=narrow, repeat_inner=(8, 8, 8))
    code, _, err = run(["embed", repo_root / "sample_videos" / "person2_walk2.mp4", "--gait-checkpoint", gait], capsys)
    assert code == 5 and "seed" in err.lower()
