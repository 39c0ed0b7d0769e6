"""OpenPose JSON output (``--write_json``) -> frames of 16-joint detections.

OpenPose writes one file per frame, ``<name>_<frame number>_keypoints.json``, holding
``{"people": [{"pose_keypoints_2d": [x, y, c] x 25}, ...]}`` (BODY_25; the older COCO model
writes 18 keypoints, which is read too). A folder of such files is one sequence, in
numeric-aware file-name order; the frame number is the last number in each file name. A
person whose keypoint list is empty is skipped. Joints are mapped by
:func:`gaitcli.io.skeletons.from_body25` / :func:`~gaitcli.io.skeletons.from_coco18`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gaitcli.constants import MAX_KEYPOINT_FILE_BYTES, MAX_KEYPOINT_RESULTS
from gaitcli.errors import InputError
from gaitcli.io.keypoint_frames import KeypointFrame, frame_indices, keypoint_array, read_json
from gaitcli.io.natsort import natural_key
from gaitcli.io.skeletons import from_body25, from_coco18
from gaitcli.tracking import Detection

BODY25 = "openpose-body25"
COCO18 = "openpose-coco18"
_MODELS = {75: (25, BODY25, from_body25), 54: (18, COCO18, from_coco18)}


def is_openpose(data: Any) -> bool:
    """Whether parsed JSON looks like one OpenPose frame (a dict with a "people" list)."""
    return isinstance(data, dict) and isinstance(data.get("people"), list)


def openpose_files(folder: Path) -> list[Path]:
    """The JSON files of an OpenPose output folder, in numeric-aware name order."""
    return sorted((p for p in folder.iterdir() if p.suffix.lower() == ".json" and p.is_file()),
                  key=lambda p: natural_key(p.name))


def read_openpose_folder(folder: Path) -> tuple[list[KeypointFrame], str]:
    """Frames of every ``*.json`` file in ``folder`` and the model found (BODY25 or COCO18)."""
    files = openpose_files(folder)
    if not files:
        raise InputError(f"{folder} holds no OpenPose *_keypoints.json files")
    total = sum(p.stat().st_size for p in files)
    if total > MAX_KEYPOINT_FILE_BYTES:
        raise InputError(f"{folder} holds {total / 2**20:.0f} MiB of keypoint files; gaitcli reads up to "
                         f"{MAX_KEYPOINT_FILE_BYTES / 2**20:.0f} MiB per walk: split it into shorter walks")
    indices = frame_indices([p.stem for p in files], str(folder))
    frames, models, people = [], set(), 0
    for index, path in zip(indices, files):
        data = read_json(path)
        if not is_openpose(data):
            raise InputError(f"{path} is not an OpenPose keypoint file (it has no \"people\" list)")
        people += len(data["people"])
        if people > MAX_KEYPOINT_RESULTS:
            raise InputError(f"{folder} holds more than {MAX_KEYPOINT_RESULTS:,} people over its files; split it into shorter walks")
        frame, model = read_openpose_frame(data, index, path.name)
        frames.append(frame)
        models |= model
    if len(models) > 1:
        raise InputError(f"{folder} mixes OpenPose BODY_25 and COCO-18 files; use one model's output")
    return frames, models.pop() if models else BODY25


def read_openpose_frame(data: dict, index: int, name: str) -> tuple[KeypointFrame, set[str]]:
    """One parsed OpenPose file as a frame, and the model(s) its people were written by."""
    detections, models = [], set()
    for n, person in enumerate(data["people"]):
        where = f"{name}: person {n}"
        values = person.get("pose_keypoints_2d") if isinstance(person, dict) else None
        if isinstance(values, list) and not values:
            continue  # OpenPose writes an empty list for a person without body keypoints
        count, model, mapping = _MODELS.get(len(values) if isinstance(values, list) else -1, _MODELS[75])
        kp = keypoint_array(values, count, where, "OpenPose BODY_25")
        ys, xs, ps = mapping(kp[None])
        seen = kp[:, 2] > 0
        score = float(kp[seen, 2].mean()) if seen.any() else 0.0
        try:
            detections.append(Detection.from_joints(ys[0], xs[0], ps[0], score=score))
        except ValueError:  # no joint seen: nobody to follow
            continue
        models.add(model)
    return KeypointFrame(index, name, detections), models


def single_frame(data: dict, path: Path) -> tuple[list[KeypointFrame], str]:
    """One OpenPose file given on its own: a sequence of one frame."""
    frame, models = read_openpose_frame(data, 0, path.name)
    if len(models) > 1:
        raise InputError(f"{path} mixes OpenPose BODY_25 and COCO-18 people; use one model's output")
    return [frame], models.pop() if models else BODY25

