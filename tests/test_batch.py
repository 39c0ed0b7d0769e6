"""Batches through the real CLI: partial failures, folders of people and of walks, guard rails,
output for pipes, progress, Ctrl-C, and the same vectors from worker processes and a Dask cluster."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gaitcli.batch import Failure, embed_many
from gaitcli.cli.main import main
from gaitcli.gallery.store import load_gallery
from gaitcli.gallery.vectors import load_vectors
from gaitcli.io.walk_files import expand_inputs, known_people
from gallery_fixtures import CLI, cli_env, clusters, write_walks
from walk_fixtures import synthetic_coco_walks

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def config_dir(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.getbasetemp() / "batch-config"
    monkeypatch.setenv("GAITCLI_CONFIG_DIR", str(folder))
    return folder


def run(capsys, *args) -> tuple[int, str, str]:
    """`gaitcli ARGS` in-process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("gaitcli: error: ")]


@pytest.fixture(scope="module")
def keypoint_walks(tmp_path_factory) -> list[Path]:
    """Four COCO keypoint files of synthetic walkers: real embedding, in well under a second each."""
    return synthetic_coco_walks(tmp_path_factory.mktemp("coco"), 4)


@pytest.fixture(scope="module")
def local_vectors(keypoint_walks) -> np.ndarray:
    outcomes = embed_many(keypoint_walks)
    assert not any(isinstance(o, Failure) for o in outcomes)
    return np.stack([o.vector for o in outcomes])


# --- partial failures ----------------------------------------------------------------------------


def test_embed_prints_and_writes_the_good_inputs_and_exits_with_the_first_failure(capsys, tmp_path, keypoint_walks):
    good, nobody, odd = keypoint_walks[0], tmp_path / "nobody.mp4", tmp_path / "odd.json"
    odd.write_text('{"hello": 1}')
    out_file = tmp_path / "v.npy"
    code, out, err = run(capsys, "embed", good, nobody, odd, "--json", "--out", out_file)
    records = json.loads(out)
    assert code == 3 and [r["input"] for r in records] == [str(good), str(nobody), str(odd)]
    assert "vector" in records[0] and records[1]["exit_code"] == 3 and records[2]["exit_code"] == 3
    assert errors(err) == [f"gaitcli: error: {records[1]['error']}", f"gaitcli: error: {records[2]['error']}"]
    assert str(nobody) in records[1]["error"]
    vectors, meta = load_vectors(out_file)  # the good vector is written
    assert vectors.shape[0] == 1 and meta["sources"] == [str(good)]
    np.testing.assert_array_equal(vectors[0], np.asarray(records[0]["vector"], dtype=np.float32))
    code, out, err = run(capsys, "embed", good, nobody)  # the table still shows the good one
    assert code == 3 and str(good) in out and len(errors(err)) == 1


def test_identify_good_and_bad_inputs(capsys, tmp_path, keypoint_walks):
    gallery = tmp_path / "people.gallery"
    assert run(capsys, "enroll", "-g", gallery, "-n", "ann", keypoint_walks[0])[0] == 0
    assert run(capsys, "enroll", "-g", gallery, "-n", "ben", keypoint_walks[2])[0] == 0
    missing = tmp_path / "nobody.mp4"
    code, out, err = run(capsys, "identify", "-g", gallery, keypoint_walks[1], missing, keypoint_walks[3], "--json")
    records = json.loads(out)
    assert code == 3 and len(errors(err)) == 1
    assert [r["input"] for r in records] == [str(keypoint_walks[1]), str(missing), str(keypoint_walks[3])]
    assert {c["name"] for c in records[0]["candidates"]} == {c["name"] for c in records[2]["candidates"]} == {"ann", "ben"}
    assert records[1] == {"input": str(missing), "error": errors(err)[0][len("gaitcli: error: "):], "exit_code": 3}
    code, out, _ = run(capsys, "identify", "-g", gallery, keypoint_walks[1], missing, "--format", "csv", "--jobs", "2")
    lines = out.splitlines()
    assert code == 3 and lines[0] == "input,source,name,score,threshold,candidates,camera" and len(lines) == 2
    assert lines[1].startswith(f"{keypoint_walks[1]},{keypoint_walks[1]},{records[0]['name']},")


def test_enroll_and_identify_take_the_frame_rate_of_keypoint_files(capsys, tmp_path, keypoint_walks):
    """Keypoint files carry no frame rate: --fps tells enroll and identify, as it tells embed, and
    the walks they embed are the ones `embed --fps` gives (30 fps, the default, gives others)."""
    walk = keypoint_walks[0]
    vectors = {}
    for fps in ("15", "30"):
        assert run(capsys, "embed", walk, "--fps", fps, "--out", tmp_path / f"at{fps}.npy")[0] == 0
        vectors[fps] = load_vectors(tmp_path / f"at{fps}.npy")[0][0]
    assert not np.allclose(vectors["15"], vectors["30"], atol=1e-3)
    assert load_vectors(tmp_path / "at15.npy")[1]["pose_engine"] is None  # another tool found the joints
    gallery = tmp_path / "people.gallery"
    assert run(capsys, "enroll", "-g", gallery, "-n", "ann", walk, "--fps", "15")[0] == 0
    np.testing.assert_allclose(load_gallery(gallery).vectors[0], vectors["15"], atol=1e-6)
    assert run(capsys, "enroll", "-g", gallery, "-n", "ben", keypoint_walks[2], "--fps", "15")[0] == 0
    scores = {}
    for how, given in {"15": [walk, "--fps", "15"], "30": [walk], "vector": [tmp_path / "at15.npy"]}.items():
        code, out, _ = run(capsys, "identify", "-g", gallery, *given, "--json")
        assert code == 0
        scores[how] = {c["name"]: c["score"] for c in json.loads(out)[0]["candidates"]}
    assert scores["15"] == pytest.approx(scores["vector"], abs=1e-5)  # --fps 15: the enrolled walk itself
    assert scores["30"]["ann"] != pytest.approx(scores["15"]["ann"], abs=1e-3)  # read at 30 fps: another vector
    code, _, err = run(capsys, "enroll", "-g", gallery, "-n", "cy", keypoint_walks[3], "--fps", "2")
    assert code == 3 and errors(err) == [err.strip()] and "--fps" in err  # as `embed --fps 2`: one line, nothing enrolled
    assert load_gallery(gallery).names == ["ann", "ben"]
    code, out, err = run(capsys, "identify", "-g", gallery, tmp_path / "at15.npy", "--fps", "0")  # checked even with nothing to embed
    assert code == 3 and not out and errors(err) == [err.strip()] and "--fps" in err
    code, out, _ = run(capsys, "gallery", "info", "-g", gallery)
    assert code == 0 and "not recorded (walks from keypoint files or vectors only)" in out

# --- folders of people and of walks --------------------------------------------------------------


def test_enroll_from_folder(capsys, tmp_path):
    data = clusters(3, 4, 32, seed=3)
    known = tmp_path / "known"
    write_walks(known / "ada", "one", data[0, 0])
    write_walks(known / "ada" / "more", "two", data[0, 1:3])
    write_walks(known, "bob", data[1, :2])  # a walk file directly in KNOWN: named by its stem
    (known / "cy").mkdir()  # a person without walks: one failure
    (known / "notes.txt").write_text("not a walk")
    gallery = tmp_path / "people.gallery"
    code, out, err = run(capsys, "enroll", "-g", gallery, "--from-folder", known, "--json")
    result = json.loads(out)
    assert code == 3 and result["people"] == [{"name": "ada", "added": 3, "walks": 3}, {"name": "bob", "added": 2, "walks": 2}]
    assert [f["input"] for f in result["failures"]] == [str(known / "cy")] and "holds no walks" in err
    assert "notes.txt is not a walk" in err
    assert load_gallery(gallery).walk_counts() == {"ada": 3, "bob": 2}
    code, out, _ = run(capsys, "enroll", "-g", gallery, "--from-folder", known, "-n", "x")
    assert code == 2  # --from-folder or --name, not both


def test_folders_of_walks_are_expanded(tmp_path):
    data = clusters(1, 2, 8, seed=1)
    write_walks(tmp_path / "in" / "b", "walk10", data[0, 0])
    write_walks(tmp_path / "in" / "b", "walk9", data[0, 1])
    frames = tmp_path / "in" / "a" / "clip"
    frames.mkdir(parents=True)
    for k in range(3):
        (frames / f"f{k}.png").write_bytes(b"")
    (tmp_path / "in" / "c.mp4").write_bytes(b"")
    (tmp_path / "in" / "readme.txt").write_text("")
    (tmp_path / "in" / ".hidden.mp4").write_bytes(b"")
    inside = tmp_path / "in"
    assert expand_inputs([inside, frames]) == [
        frames, inside / "b" / "walk9.npy", inside / "b" / "walk10.npy", inside / "c.mp4", frames]
    assert expand_inputs([tmp_path / "empty"]) == [tmp_path / "empty"]  # reported when used
    pairs, ignored = known_people(inside)
    assert pairs == [("a", frames), ("b", inside / "b" / "walk9.npy"), ("b", inside / "b" / "walk10.npy"), ("c", inside / "c.mp4")]
    assert ignored == [inside / "readme.txt"]


# --- guard rails ---------------------------------------------------------------------------------


def test_gallery_path_must_be_a_gallery(capsys, tmp_path):
    walk = write_walks(tmp_path, "walk", clusters(1, 1, 8)[0, 0])
    code, _, err = run(capsys, "enroll", "--gallery", tmp_path / "alice", "--name", "people.gallery", walk)
    assert code == 6 and "swap" in err and "--gallery people.gallery --name" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "alice").exists()
    code, _, err = run(capsys, "identify", "-g", walk, walk)
    assert code == 6 and "is a walk, not a gallery" in err
    code, _, err = run(capsys, "enroll", "-g", tmp_path / "people", "-n", "ann", walk)
    assert code == 6 and "does not end in .gallery" in err
    assert run(capsys, "enroll", "-g", tmp_path / "p.gallery", "-n", "ann", walk)[0] == 0
    (tmp_path / "p.gallery").rename(tmp_path / "renamed.bin")  # an existing gallery under another name is fine
    assert run(capsys, "identify", "-g", tmp_path / "renamed.bin", walk)[0] == 0


def test_the_same_walk_under_another_name(capsys, tmp_path):
    data = clusters(2, 2, 16, seed=2)
    ann, other = write_walks(tmp_path, "ann", data[0]), write_walks(tmp_path, "other", data[1])
    gallery = tmp_path / "p.gallery"
    assert run(capsys, "enroll", "-g", gallery, "-n", "ann", ann)[0] == 0
    code, _, err = run(capsys, "enroll", "-g", gallery, "-n", "bob", ann)
    assert code == 0 and err.startswith("gaitcli: warning: ") and "also enrolled as ann" in err
    before = gallery.read_bytes()
    code, out, err = run(capsys, "enroll", "-g", gallery, "-n", "cy", ann, other, "--strict", "--json")
    assert code == 3 and errors(err) and "also enrolled as ann, bob" in err
    assert json.loads(out)["added"] == 2 and load_gallery(gallery).walk_counts() == {"ann": 2, "bob": 2, "cy": 2}
    assert gallery.read_bytes() != before


# --- output for pipes ----------------------------------------------------------------------------


def test_tables_keep_whole_paths_in_a_pipe(capsys, tmp_path):
    data = clusters(2, 3, 16, seed=4)
    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / "walks"
    walks = [write_walks(deep, f"person-{k}-with-a-long-name", data[k]) for k in range(2)]
    gallery = tmp_path / "p.gallery"
    run(capsys, "enroll", "-g", gallery, "-n", "ann", walks[0])
    run(capsys, "enroll", "-g", gallery, "-n", "bob", walks[1])
    code, out, _ = run(capsys, "identify", "-g", gallery, deep)
    assert code == 0 and "…" not in out
    for walk in walks:
        assert len([line for line in out.splitlines() if str(walk) in line]) == 3  # one line per walk, whole


def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path, keypoint_walks):
    env = dict(cli_env(tmp_path), GAITCLI_PROGRESS_INTERVAL="0.05")
    done = subprocess.run([*CLI, "embed", *map(str, keypoint_walks), "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^gaitcli: embedding: \d of 4 inputs done, \d+:\d\d elapsed", done.stderr, re.M), done.stderr
    assert len(json.loads(done.stdout)) == 4


def test_ctrl_c_is_one_line_and_exit_130(tmp_path):
    clips = sorted((REPO / "sample_videos").glob("*.mp4")) * 3
    env = dict(cli_env(tmp_path), GAITCLI_PROGRESS_INTERVAL="0.2", GAITCLI_NO_POSE_CACHE="1")  # real work to interrupt
    process = subprocess.Popen([*CLI, "embed", *map(str, clips)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = process.stderr.readline()  # the first progress line: it is embedding now
    process.send_signal(signal.SIGINT)
    out, rest = process.communicate(timeout=120)
    assert first.startswith("gaitcli: embedding: ")
    assert process.returncode == 130 and out == ""
    assert [line for line in rest.splitlines() if not line.startswith("gaitcli: embedding: ")] == ["gaitcli: error: interrupted"]


# --- worker processes and a Dask cluster ---------------------------------------------------------


def test_jobs_give_the_vectors_of_one_process(capsys, keypoint_walks, local_vectors, tmp_path):
    bad = tmp_path / "missing.json"
    code, out, err = run(capsys, "embed", *keypoint_walks[:2], bad, *keypoint_walks[2:], "--jobs", "2", "--json")
    records = json.loads(out)
    assert code == 3 and [r["input"] for r in records] == [str(p) for p in [*keypoint_walks[:2], bad, *keypoint_walks[2:]]]
    assert records[2]["exit_code"] == 3 and len(errors(err)) == 1
    vectors = np.array([r["vector"] for r in records if "vector" in r], dtype=np.float32)
    np.testing.assert_array_equal(vectors, local_vectors)


def test_a_dask_cluster_gives_the_vectors_of_one_process(capsys, keypoint_walks, local_vectors, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            outcomes = embed_many(keypoint_walks, scheduler=client)
            assert [o.source for o in outcomes] == [str(p) for p in keypoint_walks]
            np.testing.assert_array_equal(np.stack([o.vector for o in outcomes]), local_vectors)
            assert len({w["host"] for w in client.scheduler_info()["workers"].values()}) == 1
        bad = tmp_path / "missing.json"
        code, out, err = run(capsys, "embed", keypoint_walks[0], bad, "--scheduler", cluster.scheduler_address, "--json")
    records = json.loads(out)
    assert code == 3 and records[1] == {"input": str(bad), "error": f"{bad}: no such file or folder", "exit_code": 3}
    np.testing.assert_array_equal(np.asarray(records[0]["vector"], dtype=np.float32), local_vectors[0])


def test_an_unreachable_scheduler_is_one_line(capsys, keypoint_walks):
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, _, err = run(capsys, "embed", keypoint_walks[0], "--scheduler", "tcp://127.0.0.1:9")
    assert code == 3 and errors(err) == [errors(err)[0]] and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err


def test_evaluate_with_jobs_reports_what_one_process_reports(capsys, tmp_path):
    from gaitcli.synth.export import write_keypoint_dataset

    write_keypoint_dataset(tmp_path / "walkers", 4, 2)
    reports = []
    for jobs in ("1", "2"):
        code, out, _ = run(capsys, "evaluate", tmp_path / "walkers", "--gallery-pattern", "walk-1*", "--out", tmp_path / f"out{jobs}",
                           "--jobs", jobs, "--json")
        assert code == 0
        reports.append(json.loads(out))
    assert reports[0]["counts"]["embedded"] == reports[1]["counts"]["embedded"] == 8
    assert reports[0]["overall"] == reports[1]["overall"] and reports[0]["conditions"] == reports[1]["conditions"]


@pytest.mark.slow  # about 15 s: two worker processes load the models twice, on real clips
def test_a_killed_worker_process_does_not_lose_inputs(tmp_path):
    """A worker process that dies takes its pool down; the unfinished inputs run again in a fresh one."""
    psutil = pytest.importorskip("psutil")
    clips = sorted((REPO / "sample_videos").glob("*.mp4"))[:4]
    env = dict(cli_env(tmp_path), GAITCLI_PROGRESS_INTERVAL="0.2", GAITCLI_NO_POSE_CACHE="1")  # real work to interrupt
    process = subprocess.Popen([*CLI, "embed", *map(str, clips), "--jobs", "2", "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    # some inputs done (the workers are up), some not: progress lines come every 0.2 s, so two
    # inputs finishing within one interval skip "1 of 4"
    while not re.match(r"gaitcli: embedding: [123] of 4", line := process.stderr.readline()):
        assert line, "the batch ended before a worker could be killed"
    workers = [p for p in psutil.Process(process.pid).children(recursive=True) if "LokyProcess" in " ".join(p.cmdline())]
    workers[0].kill()
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    records = json.loads(out)
    assert [r["input"] for r in records] == [str(c) for c in clips] and all("vector" in r for r in records)
