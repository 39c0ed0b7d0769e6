"""The BlazePose engine on real photos and video frames, and on rendered figures with known joints.

The model files come from the normal cache (downloaded once on first use).
"""

from __future__ import annotations

import numpy as np
import pytest

from gaitcli.constants import (
    HEAD_TOP,
    L_ANKLE,
    L_HIP,
    L_KNEE,
    NUM_JOINTS,
    PELVIS,
    R_ANKLE,
    R_HIP,
    R_KNEE,
    THORAX,
    UPPER_NECK,
)
from gaitcli.errors import InputError, ModelError
from gaitcli.features.joint_maps import joint_maps
from gaitcli.io.images import load_image
from gaitcli.pose import PoseEstimator, load_estimator
from gaitcli.pose.blazepose import BlazePoseEstimator
from gaitcli.synth.figure import Appearance, render_figure

TORSO = 100.0  # pelvis-thorax length of the poses below, in pixels
SIZE = (480, 360)  # (H, W) of the rendered images

#: Known poses, (16, 2) pixel (x, y) in seed order, torso length 100 px.
FRONT = np.array(
    [[156, 410], [158, 330], [160, 250], [200, 250], [202, 330], [204, 410], [180, 250], [180, 150],
     [180, 125], [180, 80], [130, 270], [135, 215], [145, 155], [215, 155], [225, 215], [230, 270]],
    dtype=float,
)  # fmt: skip
WALK_RIGHT = np.array(
    [[215, 405], [200, 330], [178, 250], [182, 250], [160, 330], [135, 400], [180, 250], [185, 150],
     [190, 126], [193, 80], [215, 245], [200, 205], [185, 155], [185, 155], [170, 205], [160, 250]],
    dtype=float,
)  # fmt: skip
WALK_LEFT = WALK_RIGHT * [-1, 1] + [SIZE[1], 0]
ARMS_OUT = FRONT.copy()
ARMS_OUT[[0, 1, 4, 5, 10, 11, 14, 15]] = [[120, 405], [140, 330], [220, 330], [240, 405], [45, 150], [90, 150], [270, 150], [315, 150]]


@pytest.fixture(scope="module")
def engine() -> BlazePoseEstimator:
    return BlazePoseEstimator()


def _xy(pose) -> np.ndarray:
    return np.stack([pose.coords_x, pose.coords_y], axis=1)


def _assert_anatomical(pose):
    y = pose.coords_y
    for ankle, knee, hip in ((R_ANKLE, R_KNEE, R_HIP), (L_ANKLE, L_KNEE, L_HIP)):
        assert y[ankle] > y[knee] > y[hip], "ankles below knees below hips"
    assert y[HEAD_TOP] < y[UPPER_NECK] < y[THORAX] < y[PELVIS], "head top above neck above thorax above pelvis"


def test_implements_the_protocol(engine):
    assert isinstance(engine, PoseEstimator)
    assert engine.feature_space == "joint-maps-v2"


def test_registry():
    with pytest.raises(ModelError, match="checkpoint"):
        load_estimator("ir")
    with pytest.raises(InputError, match="no checkpoint"):
        load_estimator("blazepose", checkpoint="model.ckpt")
    with pytest.raises(InputError, match="unknown pose engine"):
        load_estimator("openpose")


def test_real_photo(engine, shared_data):
    image = load_image(shared_data / "images" / "dummy.jpg")
    people = engine.poses(image)
    assert len(people) == 1
    girl = people[0]  # the girl in the lunge, in front, is the most prominent person
    assert 200 < girl.coords_x[PELVIS] < 330
    _assert_anatomical(girl)
    assert girl.probabilities.min() > 0.7 and girl.probabilities.mean() > 0.9
    assert girl.score > 0.9
    x0, y0, x1, y1 = girl.box
    assert 0 <= x0 < x1 <= 561 and 0 <= y0 < y1 <= 561
    assert ((girl.coords_x >= x0 - 1) & (girl.coords_x <= x1 + 1)).all()

    everyone = engine.poses(image, max_people=None)
    assert len(everyone) == 2
    woman = everyone[1]
    assert woman.coords_x[PELVIS] < 150  # on the left, behind the girl
    _assert_anatomical(woman)
    assert np.allclose(everyone[0].coords_x, girl.coords_x)


def test_video_frame_of_a_walker(engine, shared_data):
    import cv2

    video = cv2.VideoCapture(str(shared_data / "videos" / "walk_profile_outdoor.mp4"))
    video.set(cv2.CAP_PROP_POS_FRAMES, 100)
    ok, frame = video.read()
    assert ok
    people = engine.poses(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    assert len(people) == 1
    walker = people[0]
    # the woman walking in profile (mid-frame at this time), upright and confidently found
    assert 700 < walker.coords_x[PELVIS] < 1300
    assert walker.coords_y[HEAD_TOP] < walker.coords_y[PELVIS] < walker.coords_y[[R_ANKLE, L_ANKLE]].min()
    assert walker.score > 0.9 and np.median(walker.probabilities) > 0.9


@pytest.fixture(scope="module")
def single_engine() -> BlazePoseEstimator:
    return BlazePoseEstimator(flip_average=False)


@pytest.mark.parametrize("flip", [False, True], ids=["single pass", "flip-averaged"])
@pytest.mark.parametrize(
    "name, joints", [("front", FRONT), ("walking right", WALK_RIGHT), ("walking left", WALK_LEFT), ("arms out", ARMS_OUT)]
)
def test_rendered_figure_joints_within_tolerance(engine, single_engine, flip, name, joints):
    """Estimated joints of a shaded figure lie near the joints it was drawn from.

    Tolerance: 0.3 torso lengths for any joint (about the size of a head; a rendered figure is
    not a photo and BlazePose's notion of joint centres differs from the renderer's), 0.12 on
    average. Measured: at most 0.13-0.18 per joint, 0.05-0.07 on average.
    """
    image = render_figure(joints, size=SIZE, appearance=Appearance())
    assert engine.landmarks.flip_average  # the default
    people = (engine if flip else single_engine).poses(image)
    assert len(people) == 1, name
    error = np.linalg.norm(_xy(people[0]) - joints, axis=1) / TORSO
    assert error.max() < 0.3, f"{name}: joint errors {np.round(error, 2)}"
    assert error.mean() < 0.12, f"{name}: joint errors {np.round(error, 2)}"


@pytest.fixture(scope="module")
def figure() -> np.ndarray:
    return render_figure(FRONT, size=SIZE, appearance=Appearance())


def test_detect_then_track(engine, figure):
    detections = engine.detect(figure)
    assert len(detections) == 1
    detection = detections[0]
    assert detection.score > 0.5
    # the ROI is centred on the hips and spans the body
    assert np.hypot(detection.roi.cx - FRONT[PELVIS, 0], detection.roi.cy - FRONT[PELVIS, 1]) < 0.3 * TORSO
    assert 3 * TORSO < detection.roi.size < 8 * TORSO
    assert detection.keypoints.shape == (4, 2)

    pose, next_roi = engine.track(figure, detection.roi)
    assert pose is not None and next_roi is not None
    assert pose.extras["landmarks"].shape == (33, 5)
    # following the person with its own next ROI finds the same joints
    again, _ = engine.track(figure, next_roi)
    assert np.linalg.norm(_xy(again) - _xy(pose), axis=1).max() < 0.1 * TORSO

    # the person gone from that ROI: lost, and the caller should detect again
    empty = np.full_like(figure, 210)
    assert engine.track(empty, next_roi) == (None, None)
    assert engine.detect(empty) == []
    assert engine.poses(empty) == []


def test_crop_and_back_to_image_agree(engine):
    """A marked pixel in the ROI crop maps back to where it is in the image."""
    from gaitcli.pose.blazepose_roi import Roi

    image = np.zeros((400, 500, 3), np.uint8)
    image[118:123, 298:303] = 255  # a bright dot centred on (300, 120)
    roi = Roi(cx=260.0, cy=180.0, size=300.0, rotation=0.7)
    crop = engine.landmarks.crop(image, roi)[0]
    assert crop.shape == (256, 256, 3) and crop.dtype == np.float32 and crop.max() <= 1.0
    weight = crop[..., 0]
    v, u = np.indices(weight.shape)
    centroid = np.array([[(u * weight).sum(), (v * weight).sum()]]) / weight.sum()
    back = roi.to_image(centroid, 256)[0]
    assert np.hypot(*(back - [300, 120])) < 0.5


def test_batch_api(engine, figure):
    blank = np.full_like(figure, 210)
    ys, xs, ps = engine.joint_positions([figure, blank])
    assert ys.shape == xs.shape == ps.shape == (2, NUM_JOINTS)
    single = engine.poses(figure)[0]
    assert np.allclose(ys[0], single.coords_y) and np.allclose(ps[0], single.probabilities)
    assert np.isnan(ys[1]).all() and (ps[1] == 0).all()

    maps = engine.heat_maps(np.stack([figure, blank]))
    assert maps.shape == (2, SIZE[0], SIZE[1], NUM_JOINTS) and maps.dtype == np.float32
    for j in range(NUM_JOINTS):
        peak_y, peak_x = np.unravel_index(maps[0, :, :, j].argmax(), SIZE)
        assert abs(peak_y - ys[0, j]) <= 1 and abs(peak_x - xs[0, j]) <= 1
        assert maps[0, :, :, j].max() == pytest.approx(ps[0, j], abs=0.02)
    assert maps[1].max() == 0

    features = engine.feed_forward_features([figure, blank])
    assert features.shape == (2, 17, 17, 32) and features.dtype == np.float32
    assert np.allclose(features, joint_maps(ys, xs, ps))
    assert features[0].max() > 0.5 and features[1].max() == 0


def test_flip_averaging_maps_the_mirrored_answer_back_and_matches_limbs():
    """flip_averaged() on synthetic model outputs: a perfectly mirror-consistent answer averages
    to the first one, also when its legs (or arms) come out exchanged; offsets average out."""
    from gaitcli.pose.blazepose_landmarks import INPUT_SIZE, NUM_BODY_LANDMARKS, NUM_LANDMARKS, flip_averaged
    from gaitcli.pose.blazepose_map import ARM_PAIRS, LEG_PAIRS, MIRROR_LANDMARKS

    rng = np.random.default_rng(3)
    raw = np.concatenate([rng.uniform(20, 236, (NUM_LANDMARKS, 3)), rng.normal(0, 3, (NUM_LANDMARKS, 2))], axis=1)
    mirror = np.arange(NUM_LANDMARKS)
    mirror[:NUM_BODY_LANDMARKS] = MIRROR_LANDMARKS
    mirrored = raw[mirror].copy()  # what the model would answer for the mirrored crop, if consistent
    mirrored[:, 0] = INPUT_SIZE - mirrored[:, 0]
    np.testing.assert_allclose(flip_averaged(raw, mirrored), raw, atol=1e-9)

    for pairs in (LEG_PAIRS, ARM_PAIRS):  # the second answer swapped a whole limb: matched back
        swapped = mirrored.copy()
        left, right = [a for a, _ in pairs], [b for _, b in pairs]
        swapped[left + right] = swapped[right + left]
        np.testing.assert_allclose(flip_averaged(raw, swapped), raw, atol=1e-9)

    shifted = mirrored.copy()
    shifted[:, 0] += 4.0  # 4 px to the right in the mirrored crop = 4 px to the left here
    out = flip_averaged(raw, shifted)
    np.testing.assert_allclose(out[:NUM_BODY_LANDMARKS, 0], raw[:NUM_BODY_LANDMARKS, 0] - 2.0, atol=1e-9)
    np.testing.assert_allclose(out[NUM_BODY_LANDMARKS:], raw[NUM_BODY_LANDMARKS:])  # the ROI landmarks stay the first answer's
