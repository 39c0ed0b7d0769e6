"""BlazePose's geometry without the models: ROIs, anchors, NMS, the 33 -> 16 mapping, drawing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gaitcli.constants import HEAD_TOP, L_HIP, NUM_JOINTS, PELVIS, R_HIP, R_WRIST, SKELETON_EDGES, THORAX, UPPER_NECK
from gaitcli.draw import CENTRE_COLOR, draw_pose
from gaitcli.pose.base import Pose
from gaitcli.pose.blazepose_detector import _weighted_nms, ssd_anchors
from gaitcli.pose.blazepose_map import BLAZEPOSE_LANDMARKS, DIRECT_JOINTS, HEAD_TOP_FRACTION, to_seed_joints
from gaitcli.pose.blazepose_roi import ROI_SCALE, Roi


def test_roi_upright_person():
    roi = Roi.from_points(np.array([100.0, 200.0]), np.array([100.0, 120.0]))  # circle point above the hips
    assert roi.rotation == pytest.approx(0.0)
    assert roi.size == pytest.approx(2 * 80 * ROI_SCALE)
    # crop centre -> hips; top-centre of the crop -> straight up from the hips by half the side
    assert roi.to_image(np.array([[128.0, 128.0], [128.0, 0.0]]), 256) == pytest.approx(
        np.array([[100.0, 200.0], [100.0, 200.0 - roi.size / 2]])
    )


@pytest.mark.parametrize("angle", [-2.5, -1.0, 0.3, math.pi / 2, 3.0])
def test_roi_rotation_makes_the_body_axis_point_up_in_the_crop(angle):
    centre = np.array([300.0, 250.0])
    # body axis (hips -> circle point) at `angle` from image "up", clockwise
    axis = np.array([math.sin(angle), -math.cos(angle)])
    roi = Roi.from_points(centre, centre + 60 * axis)
    top = roi.to_image(np.array([[0.5, 0.0]]), 1)[0]
    assert (top - centre) / np.linalg.norm(top - centre) == pytest.approx(axis, abs=1e-9)
    assert -math.pi <= roi.rotation < math.pi
    corners = roi.corners()
    sides = np.linalg.norm(np.roll(corners, -1, axis=0) - corners, axis=1)
    assert sides == pytest.approx([roi.size] * 4)


def test_ssd_anchors_layout():
    anchors = ssd_anchors()
    assert anchors.shape == (2254, 2)
    assert anchors[0] == pytest.approx([0.5 / 28, 0.5 / 28]) and anchors[1] == pytest.approx(anchors[0])
    assert anchors[2] == pytest.approx([1.5 / 28, 0.5 / 28])  # x varies fastest
    assert anchors[1568] == pytest.approx([0.5 / 14, 0.5 / 14])  # stride 16 starts after 28*28*2
    assert anchors[1960:1966] == pytest.approx(np.tile([0.5 / 7, 0.5 / 7], (6, 1)))  # 3 stride-32 layers share cells


def test_weighted_nms_merges_overlaps_only():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=float)
    keypoints = np.array([[0.0, 0.0], [2.0, 2.0], [55.0, 55.0]])
    scores = np.array([0.6, 0.9, 0.7])
    merged = _weighted_nms(boxes, keypoints, scores)
    assert [round(s, 2) for s, _, _ in merged] == [0.9, 0.7]
    # the first cluster's keypoint is the score-weighted mean of 2.0 (0.9) and 0.0 (0.6)
    assert merged[0][2] == pytest.approx([1.2, 1.2])
    assert merged[1][1] == pytest.approx([50, 50, 60, 60])


def test_mapping_direct_and_derived_joints():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 500, (33, 2))
    visibility = rng.uniform(0.2, 1.0, 33)
    ys, xs, ps = to_seed_joints(xy, visibility, pose_score=0.8)
    assert ys.shape == xs.shape == ps.shape == (NUM_JOINTS,)
    for joint, landmark in DIRECT_JOINTS.items():
        assert (xs[joint], ys[joint]) == (xy[landmark, 0], xy[landmark, 1])
        assert ps[joint] == pytest.approx(visibility[landmark] * 0.8)
    bp = {name: i for i, name in enumerate(BLAZEPOSE_LANDMARKS)}
    hips = xy[[bp["left_hip"], bp["right_hip"]]].mean(0)
    shoulders = xy[[bp["left_shoulder"], bp["right_shoulder"]]].mean(0)
    ears = xy[[bp["left_ear"], bp["right_ear"]]].mean(0)
    assert [xs[PELVIS], ys[PELVIS]] == pytest.approx(hips)
    assert [xs[THORAX], ys[THORAX]] == pytest.approx(shoulders)
    assert [xs[UPPER_NECK], ys[UPPER_NECK]] == pytest.approx((shoulders + ears) / 2)
    assert [xs[HEAD_TOP], ys[HEAD_TOP]] == pytest.approx(ears + HEAD_TOP_FRACTION * (ears - shoulders))
    assert ps[PELVIS] == pytest.approx(0.8 * visibility[[bp["left_hip"], bp["right_hip"]]].mean())
    assert ((ps >= 0) & (ps <= 1)).all()
    # every BlazePose landmark used is named after the joint it becomes
    assert BLAZEPOSE_LANDMARKS[DIRECT_JOINTS[R_HIP]] == "right_hip" and BLAZEPOSE_LANDMARKS[DIRECT_JOINTS[L_HIP]] == "left_hip"


def test_mapping_upright_person_is_anatomically_ordered():
    bp = {name: i for i, name in enumerate(BLAZEPOSE_LANDMARKS)}
    xy = np.zeros((33, 2))
    for side, x in (("left", 110.0), ("right", 90.0)):
        xy[bp[f"{side}_ear"]] = (x - 5, 40)
        xy[bp[f"{side}_shoulder"]] = (x + 5, 70)
        xy[bp[f"{side}_hip"]] = (x, 150)
    ys, xs, _ = to_seed_joints(xy, np.ones(33))
    assert ys[HEAD_TOP] < 40 < ys[UPPER_NECK] < ys[THORAX] < ys[PELVIS]


def _pose(joints_xy, probabilities=None) -> Pose:
    joints_xy = np.asarray(joints_xy, dtype=float)
    p = np.ones(NUM_JOINTS) if probabilities is None else np.asarray(probabilities, dtype=float)
    return Pose(coords_y=joints_xy[:, 1], coords_x=joints_xy[:, 0], probabilities=p)


def test_draw_pose_draws_bones_and_skips_unlikely_joints():
    joints = np.array(
        [[40, 180], [42, 140], [45, 100], [75, 100], [78, 140], [80, 180], [60, 100], [60, 50],
         [60, 38], [60, 15], [20, 100], [25, 75], [40, 50], [80, 50], [95, 75], [100, 100]],
        dtype=float,
    )  # fmt: skip
    image = np.zeros((200, 120, 3), np.uint8)
    probabilities = np.ones(NUM_JOINTS)
    probabilities[R_WRIST] = 0.05
    drawn = draw_pose(image, _pose(joints, probabilities))
    assert image.max() == 0  # the input is not modified
    # the middle of the pelvis-thorax bone is painted in the centre colour
    patch = drawn[74:77, 59:62].reshape(-1, 3).astype(int)
    assert np.abs(patch - CENTRE_COLOR).max(axis=1).min() < 40
    for a, b in SKELETON_EDGES:
        mid = ((joints[a] + joints[b]) / 2).round().astype(int)
        painted = drawn[mid[1] - 1 : mid[1] + 2, mid[0] - 1 : mid[0] + 2].max()
        if R_WRIST in (a, b):
            assert painted == 0  # the unlikely wrist's bone is left out
        else:
            assert painted > 100
