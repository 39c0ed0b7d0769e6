"""The multi-person tracker on synthetic detection streams: crossings, gaps, the main walker."""

from __future__ import annotations

import numpy as np
import pytest

from gaitcli.constants import NUM_JOINTS, PELVIS
from gaitcli.errors import NoPersonError
from gaitcli.pose.base import Pose
from gaitcli.tracking import Detection, Track, Tracker, box_iou, choose_main_track, track_frames, without_duplicates

# A standing person's joints as (x, y) fractions of their height, feet at y = 0 (seed order).
_TEMPLATE = np.array([
    (-0.05, 0.0), (-0.04, -0.27), (-0.05, -0.52), (0.05, -0.52), (0.04, -0.27), (0.05, 0.0),
    (0.0, -0.52), (0.0, -0.80), (0.0, -0.88), (0.0, -1.0),
    (-0.12, -0.50), (-0.14, -0.64), (-0.11, -0.81), (0.11, -0.81), (0.14, -0.64), (0.12, -0.50),
])  # fmt: skip


def person(x: float, feet_y: float = 400.0, height: float = 200.0, prob: float = 0.9) -> Detection:
    """A 16-joint detection of a person whose pelvis is at ``x``."""
    xy = _TEMPLATE * height + np.array([x, feet_y])
    return Detection.from_joints(xy[:, 1], xy[:, 0], np.full(NUM_JOINTS, prob), score=prob)


def pelvis_xs(track) -> np.ndarray:
    return np.array([d.coords_x[PELVIS] for d in track.detections])


def test_crossing_walkers_keep_their_identity():
    rng = np.random.default_rng(1)
    frames = []
    for t in range(60):  # A goes right, B goes left; they overlap around t = 30
        dets = [person(100 + 10 * t, prob=0.8), person(700 - 10 * t, feet_y=405, prob=0.85)]
        frames.append((t, [dets[k] for k in rng.permutation(2)]))
    tracks = track_frames(frames)
    assert len(tracks) == 2 and all(len(t.frames) == 60 for t in tracks)
    for track in tracks:
        steps = np.diff(pelvis_xs(track))
        assert np.all(steps > 0) or np.all(steps < 0)  # nobody swapped direction = nobody swapped


def test_a_person_reported_twice_in_a_frame_is_kept_once_but_two_people_close_together_are_not():
    walker = person(300, prob=0.9)
    copy = person(302, prob=0.7)  # the same person, 2 px off, scored lower: a pose tool's duplicate
    assert without_duplicates([copy, walker]) == [walker]
    behind = person(301, feet_y=385, height=175, prob=0.8)  # another person right behind, farther away: boxes overlap
    assert box_iou(walker.box, behind.box) > 0.6
    assert without_duplicates([walker, behind]) == [walker, behind]
    boxes = [Detection(box=walker.box, score=0.9), Detection(box=walker.box + 1, score=0.8)]  # no poses: no judgement
    assert without_duplicates(boxes) == boxes


def test_occluded_crossing_is_bridged_by_motion():
    tracker = Tracker()
    for t in range(50):
        a, b = person(100 + 12 * t), person(700 - 12 * t)
        # while they overlap only the front person (A) is detected
        tracker.update(t, [a] if 20 <= t < 30 else [a, b])
    assert len(tracker.tracks) == 2
    b_track = tracker.get(2)
    assert b_track.frames == [t for t in range(50) if not 20 <= t < 30]
    assert np.all(np.diff(pelvis_xs(b_track)) < 0)


def test_gap_within_max_gap_continues_and_longer_gap_starts_a_new_track():
    tracker = Tracker(max_gap=5)
    ids = []
    for t in range(40):
        seen = not (10 <= t < 14) and not (20 <= t < 30)
        ids.append(tracker.update(t, [person(200 + 3 * t)] if seen else []))
    assert ids[9] == ids[14] == [1]  # 4 frames missed: same person
    assert ids[30] == [2]  # 10 frames missed: the first track had ended
    assert [len(t.frames) for t in tracker.tracks] == [16, 10]


def test_walker_beats_a_longer_person_jumping_in_place():
    frames = []
    for t in range(240):
        dets = []
        # background man: in view all along, standing and jumping on a box in one place
        dets.append(person(900 + 3 * np.sin(t / 5), feet_y=300 - 40 * max(0.0, np.sin(t / 4)), height=150, prob=0.95))
        if 40 <= t < 200:  # the walker crosses in front, a little less visible
            dets.append(person(1500 - 8 * (t - 40), feet_y=600, height=300, prob=0.7))
        frames.append((t, dets))
    tracks = track_frames(frames)
    assert len(tracks) == 2
    jumper, walker = sorted(tracks, key=lambda tr: tr.first_frame)
    assert len(jumper.frames) > len(walker.frames) and jumper.visibility > walker.visibility
    assert walker.displacement_heights > 3 and jumper.displacement_heights < 0.1
    assert choose_main_track(tracks) is walker
    summary = walker.summary().as_dict()
    assert summary["id"] == walker.id and summary["frames"] == 160 and (summary["first_frame"], summary["last_frame"]) == (40, 199)
    assert summary["score"] > jumper.summary().score


def test_without_motion_the_longest_most_visible_track_wins():
    frames = [(t, [person(100, prob=0.6)] + ([person(600, prob=0.9)] if t < 30 else [])) for t in range(50)]
    tracks = track_frames(frames)
    assert choose_main_track(tracks).id == 1  # 50 frames at 0.6 beat 30 frames at 0.9


def test_boxes_without_poses_and_pose_objects():
    tracker = Tracker()
    for t in range(10):
        box = Detection(box=(10 + 5 * t, 50, 60 + 5 * t, 150), score=0.8)
        xy = _TEMPLATE * 100 + np.array([400 - 4 * t, 300])
        pose = Pose(coords_y=xy[:, 1], coords_x=xy[:, 0], probabilities=np.full(NUM_JOINTS, 0.9), score=0.9)
        assert tracker.update(t, [box, pose]) == [1, 2]
    box_track, pose_track = tracker.tracks
    assert not box_track.detections[0].has_pose and box_track.visibility == pytest.approx(0.8)
    assert box_track.displacement == pytest.approx(45.0)  # box centre travels 9 x 5 px
    assert pose_track.boxes[0] == pytest.approx([400 - 14, 200, 400 + 14, 300])  # bounds the joints
    assert pose_track.predicted_box(12) == pytest.approx(pose_track.boxes[-1] + np.array([-12, 0, -12, 0]))


def test_far_detection_is_not_linked():
    tracker = Tracker()
    tracker.update(0, [person(100)])
    assert tracker.update(1, [person(900)]) == [2]
    assert box_iou(np.array([0, 0, 10, 10]), np.array([5, 0, 15, 10])) == pytest.approx(1 / 3)


def test_errors():
    with pytest.raises(NoPersonError):
        choose_main_track([])
    tracker = Tracker()
    tracker.update(3, [])
    with pytest.raises(ValueError, match="increasing"):
        tracker.update(3, [])
    with pytest.raises(KeyError):
        tracker.get(1)
    with pytest.raises(ValueError, match="visible joint"):
        Detection.from_joints(np.zeros(16), np.zeros(16), np.zeros(16))


def test_hungarian_assignment_is_cheapest_overall_not_greedy():
    """Greedy linking takes the cheapest pair first (A with the box B needs) and leaves B nothing it
    may link to, so B's box would start a new track; the Hungarian method gives each their own."""
    tracker = Tracker()
    tracker.update(0, [Detection(box=(100, 0, 200, 200)), Detection(box=(200, 0, 300, 200))])  # A, B side by side
    ids = tracker.update(1, [Detection(box=(120, 0, 220, 200)), Detection(box=(75, 0, 175, 200))])
    assert ids == [2, 1] and len(tracker.tracks) == 2


def test_weak_boxes_continue_tracks_but_never_start_one():
    tracker = Tracker(high_score=0.5)
    assert tracker.update(0, [Detection(box=(0, 0, 40, 100), score=0.9)]) == [1]
    # half hidden: only a weak box, where the person is expected -> same track (second pass)
    assert tracker.update(1, [Detection(box=(4, 0, 44, 100), score=0.3), Detection(box=(400, 0, 440, 100), score=0.3)]) == [1, 0]
    assert len(tracker.tracks) == 1 and tracker.get(1).frames == [0, 1]
    # a weak box far from every track starts nothing
    assert tracker.update(2, [Detection(box=(600, 0, 640, 100), score=0.4)]) == [0]
    assert len(tracker.tracks) == 1


def test_one_off_detections_never_become_tracks():
    tracker = Tracker(min_hits=2, tentative_gap=1)
    assert tracker.update(0, [person(100), person(600)]) == [0, 0]  # not confirmed yet
    assert tracker.update(1, [person(103)]) == [1]  # seen twice: an id; the other candidate waits one update
    tracker.update(2, [person(106)])
    assert tracker.update(3, [person(109), person(900)]) == [1, 0]
    assert [t.id for t in tracker.tracks] == [1]  # the bench at 600 (seen once) never counted
    assert tracker.get(1).frames == [0, 1, 2, 3]  # the first sighting belongs to the track too


def test_person_detected_every_few_frames_is_one_track():
    """A person too small for the landmark model is only seen when the detector runs (every 4th
    frame); with tentative_gap 4 they are still one confirmed track."""
    tracker = Tracker(min_hits=2, tentative_gap=4, high_score=0.5)
    for t in range(0, 40):
        tracker.update(t, [Detection(box=(10 + 2 * t, 0, 40 + 2 * t, 70), score=0.8)] if t % 4 == 0 else [])
    assert [len(t.frames) for t in tracker.tracks] == [10]


def test_fill_gaps_interpolates_boxes_between_close_sightings_only():
    track = Track(id=1)
    for t in (0, 4, 20):
        track.add(t, Detection(box=(10 * t, 0, 10 * t + 30, 80), score=0.9 if t else 0.6))
    engine_frames = list(range(0, 24, 2))  # the engine ran on every other frame
    assert track.fill_gaps(engine_frames, max_gap=3) == 1  # frame 2 only: 4 -> 20 is too long a gap
    assert track.frames == [0, 2, 4, 20]
    filled = track.detection_at(2)
    assert filled.box == pytest.approx([20, 0, 50, 80]) and filled.score == 0.6 and not filled.has_pose
