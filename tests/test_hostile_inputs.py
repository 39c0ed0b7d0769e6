"""Hostile and broken inputs through the real CLI, as a user would run them.

Every case ends in one line on stderr and a documented exit code (or a correct result), within
bounded memory; a gallery file never runs code, with or without --trust; no command overwrites
a file it was not told to. The last test feeds random mutations (fixed seed) of a valid
keypoint file, image, video, .npy vectors file and gallery through the CLI.

Each command runs in a child process whose address space is capped (``ADDRESS_LIMIT``) and
whose peak resident memory is read back from the kernel (``os.wait4``).
"""

from __future__ import annotations

import json
import os
import pickle
import random
import resource
import shutil
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import joblib
import numpy as np
import pytest

from gaitcli.constants import MAX_FRAME_INDEX, MAX_WALK_WINDOWS
from gallery_fixtures import FEATURE_SPACE, FINGERPRINT, clusters, write_walks
from walk_fixtures import coco_records

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "gaitcli.cli.main"]
#: Peak resident memory allowed to one command on these small inputs (the video engine needs ~0.4 GB).
MEMORY_BOUND = 1 << 30
#: Address space of every child: a runaway allocation ends there, not in the machine's swap.
ADDRESS_LIMIT = 3 << 30
ALLOWED_CODES = {0, 2, 3, 4, 5, 6}



@dataclass
class Ran:
    code: int
    out: str
    err: str
    peak_bytes: int
    cpu_seconds: float = 0.0


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@pytest.fixture()
def env(tmp_path) -> dict[str, str]:
    """Environment of a child: this repository's gaitcli, a signing key of the test's own."""
    return dict(os.environ, GAITCLI_CONFIG_DIR=str(tmp_path / "config"),
                PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


def run(env: dict[str, str], *args, timeout: float = 120) -> Ran:
    """`gaitcli ARGS` in a child process: exit code, stdout, stderr and peak resident memory."""
    out_path = Path(env["GAITCLI_CONFIG_DIR"]).parent / f".out-{threading.get_ident()}"
    with open(out_path, "w+b") as out, open(str(out_path) + ".err", "w+b") as err:
        process = subprocess.Popen([*CLI, *map(str, args)], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   preexec_fn=_limit_child)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Ran(process.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                   usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime)


@pytest.fixture()
def here(env, capsys, monkeypatch):
    """`gaitcli ARGS` in this process (faster; for cases that need no memory cap or fd-level stderr)."""
    from gaitcli.cli.main import main

    monkeypatch.setenv("GAITCLI_CONFIG_DIR", env["GAITCLI_CONFIG_DIR"])

    def run_here(*args) -> Ran:
        with pytest.raises(SystemExit) as exit_info:
            main([str(a) for a in args])
        captured = capsys.readouterr()
        return Ran(exit_info.value.code, captured.out, captured.err, 0)

    return run_here


def one_line_error(ran: Ran, code: int, match: str = "") -> str:
    """Assert the command failed with ``code`` and one line on stderr (containing ``match``), within memory."""
    assert ran.code == code, (ran.code, ran.err[-2000:])
    lines = ran.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gaitcli: error: "), ran.err[-2000:]
    assert match.lower() in lines[0].lower(), lines[0]
    assert ran.peak_bytes < MEMORY_BOUND, ran.peak_bytes
    return lines[0]


# --- inputs -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk_joints():
    """One synthetic walker as a pose engine would report them: (ys, xs, ps), each (T, 16), ~25 fps."""
    from gaitcli.synth.dataset import make_sequences

    (_, ys, xs, ps, _), _ = make_sequences(1, 2, seed=7, covariate_share=0.0)
    return ys, xs, ps


@pytest.fixture(scope="module")
def walk_json(tmp_path_factory, walk_joints) -> Path:
    path = tmp_path_factory.mktemp("walk") / "walk.json"
    path.write_text(json.dumps(coco_records(*walk_joints)))
    return path


def sample_clip(path: Path, frames: int, fps: float) -> Path:
    """The first ``frames`` frames of a sample walker at 320x180, as MJPG at ``fps`` (as the header says)."""
    source = cv2.VideoCapture(str(REPO / "sample_videos" / "person1_walk1.mp4"))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (320, 180))
    for _ in range(frames):
        ok, frame = source.read()
        writer.write(cv2.resize(frame, (320, 180)))
    writer.release()
    source.release()
    return path


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data))
    return path


# --- 1. a user's file is never overwritten without --force, an input never ---------------------------


def test_embed_never_replaces_an_input_that_is_its_meta_file(tmp_path, here, walk_json):
    given = tmp_path / "w.npy.json"
    shutil.copy(walk_json, given)
    before = given.read_bytes()
    for force in ((), ("--force",)):
        one_line_error(here("embed", given, "--out", tmp_path / "w.npy", *force), 3, "one of the inputs")
        assert given.read_bytes() == before and not (tmp_path / "w.npy").exists()


def test_embed_never_overwrites_an_existing_meta_file_without_force(tmp_path, here, walk_json):
    unrelated = tmp_path / "q.npy.json"
    unrelated.write_text("precious")
    one_line_error(here("embed", walk_json, "--out", tmp_path / "q.npy"), 3, "q.npy.json already exists")
    assert unrelated.read_text() == "precious" and not (tmp_path / "q.npy").exists()
    ran = here("embed", walk_json, "--out", tmp_path / "q.npy", "--force")
    assert ran.code == 0 and ran.err.startswith("wrote 1 vector")
    assert json.loads(unrelated.read_text())["format"] == "gaitcli-vectors" and (tmp_path / "q.npy").is_file()


def test_train_gait_never_overwrites_the_report_beside_its_checkpoint(tmp_path, env):
    report = tmp_path / "model.json"
    report.write_text("precious")
    one_line_error(run(env, "train", "gait", "--out", tmp_path / "model.npz", "--steps", "1"), 3, "model.json already exists")
    assert report.read_text() == "precious" and not (tmp_path / "model.npz").exists()


# --- 2. memory follows a keypoint file's content, not its frame numbers --------------------------------


def test_sparse_frame_numbers_are_not_densified(tmp_path, env, walk_joints):
    ids = [k * 10_000 for k in range(len(walk_joints[0]))]  # 44 KB: 0.8 million frames from first to last
    one_line_error(run(env, "embed", write_json(tmp_path / "sparse.json", coco_records(*walk_joints, ids=ids))), 4, "gait cycle")


@pytest.mark.parametrize("last", [10**12, 10**400], ids=["1e12", "1e400"])
def test_frame_numbers_beyond_the_limit_are_refused(tmp_path, env, walk_joints, last):
    records = coco_records(*walk_joints, ids=list(range(len(walk_joints[0]))))
    records[-1]["image_id"] = last  # 10**12: 575 TiB once densified; 10**400: no float holds it
    line = one_line_error(run(env, "embed", write_json(tmp_path / "ids.json", records)), 3, "frame number")
    assert f"{MAX_FRAME_INDEX:,}" in line


def test_a_gaitcli_pose_file_with_a_huge_frame_index_is_refused(tmp_path, env):
    frame = {"index": 10**30, "people": [{"joints": [[10.0, 20.0, 0.9]] * 16}]}
    path = write_json(tmp_path / "pose.json", {"format": "gaitcli.pose/1", "fps": 25, "frames": [frame]})
    one_line_error(run(env, "embed", path), 3, "frame number")


# --- 3. a long keypoint file is read in time that grows with it, not with its square -------------------


def test_a_long_keypoint_file_is_read_in_linear_time(tmp_path, env, walk_joints):
    """30,000 results of one walker (13 MB): about 3 s of CPU. Reading was quadratic (the walker's
    frame list copied to an array for every frame): 40 s of CPU for this file, hours for a 100 MB
    one. CPU time (not wall time) is bounded at 12 s, 4x today's and a quarter of the quadratic reader's."""
    ys, xs, ps = walk_joints
    shift = xs.mean(axis=1, keepdims=True) - xs[0].mean()  # walking in place: one track throughout
    loop = np.concatenate([np.arange(len(ys)), np.arange(len(ys))[::-1]])
    n = 30_000
    rows = loop[np.arange(n) % len(loop)]
    path = write_json(tmp_path / "long.json", coco_records(ys[rows], (xs - shift)[rows], ps[rows]))
    ran = run(env, "embed", path, "--list-tracks", "--json", timeout=300)
    assert ran.code == 0, ran.err[-2000:]
    assert max(t["frames"] for t in json.loads(ran.out)[str(path)]) == n
    assert ran.cpu_seconds < 12 and ran.peak_bytes < MEMORY_BOUND, (ran.cpu_seconds, ran.peak_bytes)


def test_a_long_walk_is_embedded_from_windows_rendered_a_batch_at_a_time(walk_joints):
    """The vector of a prepared walk is the one of its rendered segments; a walk of many windows
    feeds at most MAX_WALK_WINDOWS of them, never all its features at once."""
    from gaitcli.features.sequence import prepare_walk
    from gaitcli.gait.embedding import identification_vector

    ys, xs, ps = walk_joints
    walk = prepare_walk(ys, xs, ps, 25.0)
    fed = []

    def forward(windows):  # a stand-in network: the mean of each window's features
        fed.append(len(windows))
        return np.stack([w.reshape(len(w), -1).mean(axis=0)[:8] for w in windows])

    np.testing.assert_allclose(identification_vector(forward, walk), identification_vector(forward, walk.segments), rtol=1e-6)
    reps = 80  # 107 s of walk: ~330 windows
    long_walk = prepare_walk(np.tile(ys, (reps, 1)), np.tile(xs, (reps, 1)), np.tile(ps, (reps, 1)), 25.0)
    fed.clear()
    identification_vector(forward, long_walk, max_windows_per_call=16)
    assert sum(fed) == MAX_WALK_WINDOWS and max(fed) <= 16


# --- 4. frame rates outside 5-1000 fps -------------------------------------------------------------------


def test_a_video_declaring_a_tenth_of_a_frame_per_second_is_refused(tmp_path, env):
    path = sample_clip(tmp_path / "slow.avi", 20, 0.1)  # 20 frames of a walker declared at 0.1 fps
    assert cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FPS) == pytest.approx(0.1)
    one_line_error(run(env, "embed", path), 3, "frame rate of 0.1 fps is outside the 5 to 1000 fps")


@pytest.mark.parametrize("fps", ["-5", "nan", "inf", "0.1"])
def test_fps_option_outside_the_range_is_refused(here, walk_json, fps):
    one_line_error(here("embed", walk_json, "--fps", fps), 3, "frame rate")


def test_a_keypoint_file_with_a_bad_frame_rate_is_refused(tmp_path, here):
    frames = [{"index": i, "people": [{"joints": [[10.0 + i, 20.0, 0.9]] * 16}]} for i in range(3)]
    path = write_json(tmp_path / "pose.json", {"format": "gaitcli.pose/1", "fps": -5, "frames": frames})
    one_line_error(here("embed", path), 3, "frame rate")


# --- 5. a gallery never runs code, --trust or not --------------------------------------------------------


class _Payload:
    """Unpickling this runs a shell command (what an attacker would put in a gallery file)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _evil_payloads(marker: Path) -> dict[str, bytes]:
    import io

    def dumped(obj) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(obj, buffer)
        return buffer.getvalue()

    evil = _Payload(marker)
    return {
        "pickle": pickle.dumps({"format": "gaitcli-gallery", "version": 1, "names": [evil]}),
        "joblib": dumped({"format": "gaitcli-gallery", "version": 1, "names": evil}),
        "object-array": dumped({"format": "gaitcli-gallery", "vectors": np.array([evil, 1], dtype=object)}),
    }


def test_a_crafted_gallery_never_runs_code_even_with_trust(tmp_path, env):
    marker = tmp_path / "pwned"
    for kind, payload in _evil_payloads(marker).items():
        path = tmp_path / f"{kind}.gallery"
        path.write_bytes(payload)
        for args in (("gallery", "info", "-g", path, "--trust"), ("identify", "-g", path, "--trust", path)):
            one_line_error(run(env, *args), 6)
            assert not marker.exists(), (kind, args)


def test_a_signed_gallery_that_names_code_is_refused_too(tmp_path, env, monkeypatch):
    """Even a file signed with the user's own key (a key that leaked, a file the user signed by
    mistake) is read by the restricted unpickler: the signature is not what keeps code out."""
    from gaitcli.gallery.signing import seal

    monkeypatch.setenv("GAITCLI_CONFIG_DIR", env["GAITCLI_CONFIG_DIR"])
    marker = tmp_path / "pwned"
    path = tmp_path / "signed.gallery"
    path.write_bytes(seal(_evil_payloads(marker)["joblib"]))
    one_line_error(run(env, "gallery", "list", "-g", path), 6, "not a gaitcli gallery")
    assert not marker.exists()


def test_an_unsigned_gallery_in_joblibs_format_still_loads_with_trust(tmp_path, here, monkeypatch):
    import io

    from gaitcli.gallery.store import Gallery

    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, 16)
    gallery.add_walks(["ada", "ada", "bob", "bob"], clusters(2, 2, 16, seed=3).reshape(-1, 16), ["s"] * 4)
    buffer = io.BytesIO()
    joblib.dump(gallery.to_payload(), buffer)  # unsigned: as another user's gaitcli wrote it, without the envelope
    path = tmp_path / "foreign.gallery"
    path.write_bytes(buffer.getvalue())
    ran = here("gallery", "list", "-g", path, "--trust", "--json")
    assert ran.code == 0 and [p["name"] for p in json.loads(ran.out)] == ["ada", "bob"]


# --- 6. what was an internal error is a clear exit 3 -------------------------------------------------------


def _vectors(tmp_path: Path, name: str, rows) -> Path:
    return write_walks(tmp_path, name, np.asarray(rows, dtype=np.float32))


@pytest.fixture()
def gallery_file(tmp_path, env, monkeypatch) -> Path:
    monkeypatch.setenv("GAITCLI_CONFIG_DIR", env["GAITCLI_CONFIG_DIR"])
    from gaitcli.gallery.store import Gallery, save_gallery

    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, 16)
    data = clusters(3, 2, 16, seed=5)
    gallery.add_walks([n for n in ("ada", "bob", "cy") for _ in range(2)], data.reshape(-1, 16), ["s"] * 6)
    save_gallery(gallery, tmp_path / "people.gallery")
    return tmp_path / "people.gallery"


def test_an_all_zero_vector_is_refused_in_identify(tmp_path, here, gallery_file):
    path = tmp_path / "zero.npy"
    np.save(path, np.zeros((1, 16), np.float32))
    shutil.copy(_vectors(tmp_path, "ok", clusters(1, 1, 16)[0]).with_suffix(".npy.json"), tmp_path / "zero.npy.json")
    one_line_error(here("identify", "-g", gallery_file, path), 3, "length 0")


def test_a_damaged_npy_header_is_refused(tmp_path, here, gallery_file):
    path = _vectors(tmp_path, "damaged", clusters(1, 1, 16)[0])
    data = path.read_bytes()
    header_end = data.index(b"}")
    path.write_bytes(data[:header_end] + b" " + data[header_end + 1 :])  # an unclosed brace: tokenize.TokenError
    one_line_error(here("identify", "-g", gallery_file, path), 3, "not a readable .npy")


def test_keypoints_that_are_all_true_are_refused(tmp_path, here):
    path = write_json(tmp_path / "true.json", [{"image_id": i, "keypoints": [True] * 51} for i in range(40)])
    one_line_error(here("embed", path), 3, "not numbers")


# --- 7. nothing accepted silently --------------------------------------------------------------------------


def test_keypoints_given_as_strings_are_refused(tmp_path, here, walk_json):
    records = json.loads(walk_json.read_text())
    for record in records:
        record["keypoints"] = [str(v) for v in record["keypoints"]]
    one_line_error(here("embed", write_json(tmp_path / "strings.json", records)), 3, "not numbers")


def test_coordinates_far_outside_any_image_are_refused(tmp_path, here, walk_json):
    records = json.loads(walk_json.read_text())
    for record in records:
        record["keypoints"] = [v * 1e300 if k % 3 != 2 else v for k, v in enumerate(record["keypoints"])]
    one_line_error(here("embed", write_json(tmp_path / "huge.json", records)), 3, "beyond 1,000,000 pixels")


def test_vectors_near_the_float32_limit_are_refused(tmp_path, here, gallery_file):
    path = _vectors(tmp_path, "huge", np.full((1, 16), 3e38))
    for command in (("identify", "-g", gallery_file), ("enroll", "-g", tmp_path / "new.gallery", "-n", "x")):
        one_line_error(here(*command, path), 3, "length")
    assert not (tmp_path / "new.gallery").exists()


def test_a_nan_threshold_is_refused_and_json_never_holds_nan(tmp_path, here, gallery_file, capsys):
    probe = _vectors(tmp_path, "probe", clusters(3, 2, 16, seed=5)[0, :1])
    for threshold in ("nan", "inf"):
        one_line_error(here("identify", "-g", gallery_file, probe, "--threshold", threshold, "--json"), 3, "threshold")
    from gaitcli.cli.output import print_json

    print_json({"score": float("nan"), "rows": [np.float32("inf"), 0.5], "array": np.array([np.nan, 1.0])})
    assert json.loads(capsys.readouterr().out) == {"score": None, "rows": [None, 0.5], "array": [None, 1.0]}


@pytest.fixture(scope="module")
def photo(shared_data) -> Path:
    return shared_data / "images" / "dummy.jpg"


def test_a_damaged_jpeg_is_refused_with_one_line(tmp_path, env, photo):
    """Entropy-coded data cut short (the end-of-image marker kept): libjpeg reports corrupt data and
    fills the rest grey. gaitcli refuses it, and libjpeg's own lines never reach the terminal."""
    data = photo.read_bytes()
    start = data.index(b"\xff\xda")
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(data[: start + (len(data) - start) // 2] + b"\xff\xd9")
    one_line_error(run(env, "pose", damaged), 3, "damaged")


def test_a_png_with_a_bad_checksum_says_one_line(tmp_path, env, photo):
    image = cv2.imread(str(photo))
    ok, encoded = cv2.imencode(".png", image)
    data = bytearray(encoded.tobytes())
    idat = data.index(b"IDAT")
    data[idat + 100] ^= 0xFF  # the chunk's CRC no longer matches: libpng prints an error
    path = tmp_path / "bad.png"
    path.write_bytes(bytes(data))
    one_line_error(run(env, "pose", path), 3, "cannot be decoded")


# --- 8. links, names, loops, the key's folder ------------------------------------------------------------


def test_a_symlinked_gallery_is_written_through_to_its_target(tmp_path, here):
    data = clusters(3, 1, 16, seed=9)
    walks = [_vectors(tmp_path, f"p{i}", data[i]) for i in range(3)]
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "people.gallery"
    link = tmp_path / "link.gallery"
    link.symlink_to(Path("real") / "people.gallery")
    for gallery, name, walk in ((link, "ada", walks[0]), (target, "bob", walks[1]), (link, "cy", walks[2])):
        ran = here("enroll", "-g", gallery, "-n", name, walk)
        assert ran.code == 0, ran.err
    assert link.is_symlink() and target.is_file() and not target.is_symlink()
    ran = here("gallery", "list", "-g", target, "--json")
    assert [p["name"] for p in json.loads(ran.out)] == ["ada", "bob", "cy"]
    assert (tmp_path / "real" / "people.gallery.lock").exists() and not (tmp_path / "link.gallery.lock").exists()


def test_control_characters_never_reach_the_terminal(tmp_path, here):
    walk = _vectors(tmp_path, "p", clusters(1, 1, 16, seed=2)[0])
    for name in ("\x1b[31mred\x1b[0m", "two\nlines", "rtl\u202eexe.txt"):
        line = one_line_error(here("enroll", "-g", tmp_path / "g.gallery", "-n", name, walk), 3, "control characters")
        assert "\x1b" not in line and "\u202e" not in line
    # a foreign gallery (loaded with --trust) holding such a name lists it escaped
    import io

    from gaitcli.gallery.store import Gallery

    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, 16)
    gallery.add_walks(["ada", "bob"], clusters(2, 1, 16, seed=4).reshape(-1, 16), ["s", "t"])
    payload = gallery.to_payload()
    payload["names"] = ["\x1b]0;owned\x07ada", "bob"]
    buffer = io.BytesIO()
    joblib.dump(payload, buffer)
    (tmp_path / "foreign.gallery").write_bytes(buffer.getvalue())
    for extra in ((), ("--json",)):
        ran = here("gallery", "list", "-g", tmp_path / "foreign.gallery", "--trust", *extra)
        assert ran.code == 0 and "\x1b" not in ran.out and "\x07" not in ran.out


def test_a_symlink_loop_is_reported_as_one(tmp_path, here):
    walk = _vectors(tmp_path, "p", clusters(1, 1, 16, seed=2)[0])
    (tmp_path / "a.gallery").symlink_to("b.gallery")
    (tmp_path / "b.gallery").symlink_to("a.gallery")
    one_line_error(here("enroll", "-g", tmp_path / "a.gallery", "-n", "ada", walk), 6, "symbolic link loop")
    assert (tmp_path / "a.gallery").is_symlink()  # not replaced by a file
    one_line_error(here("identify", "-g", tmp_path / "a.gallery", walk), 6, "symbolic link loop")
    (tmp_path / "loop.npy").symlink_to("loop.npy")
    one_line_error(here("enroll", "-g", tmp_path / "g.gallery", "-n", "ada", tmp_path / "loop.npy"), 3, "symbolic link loop")


def test_a_signing_key_in_a_folder_others_can_write_is_refused(tmp_path, env, here):
    walk = _vectors(tmp_path, "p", clusters(1, 1, 16, seed=2)[0])
    config = Path(env["GAITCLI_CONFIG_DIR"])
    config.mkdir()
    config.chmod(0o777)
    one_line_error(here("enroll", "-g", tmp_path / "g.gallery", "-n", "ada", walk), 6, "can be written by other users")
    assert not (tmp_path / "g.gallery").exists() and not (config / "gallery.key").exists()
    config.chmod(0o700)
    assert here("enroll", "-g", tmp_path / "g.gallery", "-n", "ada", walk).code == 0
    assert stat.S_IMODE((config / "gallery.key").stat().st_mode) == 0o600


# --- random mutations of valid inputs -----------------------------------------------------------------------

#: Tokens a mutation puts in place of a number in a JSON file.
_HOSTILE_TOKENS = ["1e400", "-1e308", "NaN", "Infinity", "true", "null", '"7"', "[]", "{}", "1" * 30,
                   "-0", "99999999999999999999", "0.0", "[1,2,3]", '{"a":1}']


def _mutate(data: bytes, rng: random.Random, *, text: bool) -> bytes:
    """One random change (fixed by ``rng``): bit flips, a byte run overwritten, cut, repeated or
    removed, or (in text) a number replaced by a hostile token."""
    b = bytearray(data)
    kind = rng.choice(["flip", "overwrite", "truncate", "repeat", "delete"] + (["token"] * 3 if text else ["flip", "header"]))
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == "overwrite":
        i = rng.randrange(len(b))
        n = rng.randint(1, 64)
        b[i : i + n] = bytes(rng.randrange(256) for _ in range(n))
    elif kind == "truncate":
        del b[rng.randrange(len(b)) :]
    elif kind == "repeat":
        i = rng.randrange(len(b))
        b[i:i] = b[i : i + rng.randint(1, 4096)] * rng.randint(1, 50)
    elif kind == "delete":
        i = rng.randrange(len(b))
        del b[i : i + rng.randint(1, 4096)]
    elif kind == "header":  # the first bytes hold the size, shape and format of binary files
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(min(len(b), 160))] = rng.randrange(256)
    else:  # a number token replaced
        import re

        numbers = [m.span() for m in re.finditer(rb"-?\d+(\.\d+)?", bytes(b))]
        for _ in range(rng.randint(1, 3)):
            start, end = rng.choice(numbers)
            b[start:end] = rng.choice(_HOSTILE_TOKENS).encode().ljust(end - start)[: max(end - start, 1)] if rng.random() < 0.3 \
                else rng.choice(_HOSTILE_TOKENS).encode()
            numbers = [m.span() for m in re.finditer(rb"-?\d+(\.\d+)?", bytes(b))] or [(0, 1)]
    return bytes(b)


@pytest.fixture(scope="module")
def small_video(tmp_path_factory) -> Path:
    """40 frames of a sample walker at 320x180 (MJPG), small enough to mutate and embed quickly."""
    return sample_clip(tmp_path_factory.mktemp("video") / "walk.avi", 40, 25.0)


#: Mutations per input kind: 36 commands of 0.5-2 s each, two at a time.
MUTATIONS = {"keypoints": 8, "image": 7, "video": 5, "vectors": 8, "gallery": 8}


def test_random_mutations_of_valid_inputs_end_cleanly(tmp_path, env, walk_json, photo, small_video, gallery_file):
    """Every mutated input gives exit 0 or 2-6, no traceback, one line on stderr when it fails
    (nothing on success), and peak memory under MEMORY_BOUND."""
    vectors = _vectors(tmp_path, "probe", clusters(3, 2, 16, seed=5)[0, :1])
    rng = random.Random(18)
    cases = {
        "keypoints": (walk_json, ".json", lambda p: ("embed", p, "--json")),
        "image": (photo, ".jpg", lambda p: ("pose", p, "--json")),
        "video": (small_video, ".avi", lambda p: ("embed", p, "--json")),
        "vectors": (vectors, ".npy", lambda p: ("identify", "-g", gallery_file, p, "--json")),
        "gallery": (gallery_file, ".gallery", lambda p: ("gallery", "info", "-g", p, "--trust", "--json")),
    }
    jobs = []
    for kind, (original, suffix, command) in cases.items():
        data = original.read_bytes()
        for k in range(MUTATIONS[kind]):
            path = tmp_path / f"{kind}-{k}{suffix}"
            path.write_bytes(_mutate(data, rng, text=suffix == ".json"))
            if suffix == ".npy":
                shutil.copy(vectors.with_suffix(".npy.json"), path.with_suffix(".npy.json"))
            jobs.append((path, command(path)))

    def check(job) -> tuple | None:
        path, args = job
        ran = run(env, *args)
        lines = ran.err.splitlines()
        clean = ran.code in ALLOWED_CODES and "Traceback" not in ran.err and ran.peak_bytes < MEMORY_BOUND and (
            (ran.code == 0 and not lines) or (ran.code != 0 and len(lines) == 1 and lines[0].startswith("gaitcli: error: "))
        )
        return None if clean else (path.name, ran.code, ran.peak_bytes >> 20, ran.err[-600:])

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        failures = [failure for failure in pool.map(check, jobs) if failure]
    assert not failures, failures  # the mutated files stay in tmp_path to reproduce


def test_the_gallery_unpickler_builds_arrays_and_plain_values_only():
    """joblib's own files of the values a gallery holds load as joblib loads them; an array
    claiming more bytes than the file holds, an object array or a structured dtype is refused
    before anything is allocated or built."""
    import io
    import pickle as stdlib_pickle

    from gaitcli.gallery import safe_pickle

    def dumped(obj) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(obj, buffer)
        return buffer.getvalue()

    value = {"a": [1, 2.5, None, "x", (True, b"raw")], "v": np.arange(12, dtype=">i4").reshape(3, 4),
             "f": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "e": np.zeros((0, 5), np.float32), "s": {1, 2}}
    loaded = safe_pickle.load(dumped(value))
    assert loaded["a"] == value["a"] and loaded["s"] == value["s"]
    for key in ("v", "f", "e"):
        np.testing.assert_array_equal(loaded[key], value[key])
        assert loaded[key].dtype == value[key].dtype.newbyteorder("=")
    from joblib.numpy_pickle import NumpyArrayWrapper

    claim = NumpyArrayWrapper(np.ndarray, (10**12,), "C", np.dtype("f4"))  # 4 TB announced, 16 bytes given
    with pytest.raises(ValueError, match="more than the payload holds"):
        safe_pickle.load(stdlib_pickle.dumps(claim, protocol=4)[:-1] + b"\0" * 16 + b".")
    for refused in (np.array([1, "a"], dtype=object), np.zeros(2, dtype=[("x", "f4"), ("y", "i4")]), np.float64(1.0), 1j):
        with pytest.raises(safe_pickle.UnsafePickleError):
            safe_pickle.load(dumped(refused))
