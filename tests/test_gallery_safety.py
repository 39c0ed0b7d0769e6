"""A gallery survives SIGKILL at any moment and concurrent writers (real processes, real signals)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import numpy as np
import pytest

from gaitcli.gallery.store import Gallery, load_gallery, save_gallery
from gallery_fixtures import CLI, FEATURE_SPACE, FINGERPRINT, cli_env, clusters, write_walks

DIM = 16


@pytest.fixture()
def config_dir(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    monkeypatch.setenv("GAITCLI_CONFIG_DIR", str(folder))
    return folder


def test_sigkill_during_enroll_leaves_the_old_or_the_new_gallery(tmp_path, config_dir):
    env = cli_env(config_dir)
    data = clusters(4, 2, DIM, seed=11)
    files = [write_walks(tmp_path, f"p{i}", data[i]) for i in range(4)]
    path = tmp_path / "g.gallery"

    def enroll(i: int) -> list[str]:
        return [*CLI, "enroll", "-g", str(path), "-n", f"p{i % 4}", str(files[i % 4])]

    started = time.monotonic()
    subprocess.run(enroll(0), env=env, check=True, capture_output=True)
    duration = time.monotonic() - started
    walks = load_gallery(path).n_walks
    rng = random.Random(5)
    outcomes = set()
    for i in range(1, 7):
        process = subprocess.Popen(enroll(i), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # random moments over the whole run, half of them in its last part (refit and write)
        time.sleep(duration * (rng.uniform(0.0, 1.0) if i % 2 else rng.uniform(0.7, 1.1)))
        process.kill()
        process.wait()
        after = load_gallery(path).n_walks  # always loads: never a broken file
        assert after in (walks, walks + 2)
        outcomes.add(after - walks)
        walks = after
    # a clean run afterwards still works and sweeps any temporary file a killed run left
    subprocess.run(enroll(0), env=env, check=True, capture_output=True)
    assert load_gallery(path).n_walks == walks + 2
    assert not list(tmp_path.glob(".g.gallery.*.tmp"))


def test_sigkill_while_writing_never_breaks_the_file(tmp_path, config_dir):
    """A process that does nothing but rewrite the gallery is killed at random moments of its writes."""
    data = clusters(3, 60, 2048, seed=12)  # ~1.5 MB of vectors: each write takes a while
    small = Gallery(FINGERPRINT, FEATURE_SPACE, 2048)
    small.add_walks([f"p{p}" for p in range(3) for _ in range(40)], data[:, :40].reshape(-1, 2048), ["s"] * 120)
    large = Gallery(FINGERPRINT, FEATURE_SPACE, 2048)
    large.add_walks([f"p{p}" for p in range(3) for _ in range(60)], data.reshape(-1, 2048), ["s"] * 180)
    target = tmp_path / "target.gallery"
    save_gallery(small, target)
    rng = random.Random(6)
    for _ in range(16):
        pid = os.fork()
        if pid == 0:  # the writer: alternate the two galleries until killed
            try:
                while True:
                    save_gallery(large, target)
                    save_gallery(small, target)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.02, 0.25))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        loaded = load_gallery(target)  # always loads: never a broken file
        expected = {120: small, 180: large}[loaded.n_walks]
        np.testing.assert_array_equal(loaded.vectors, expected.vectors)
    assert list(tmp_path.glob(".target.gallery.*.tmp"))  # it was killed in the middle of a write


def test_concurrent_enrolls_all_land(tmp_path, config_dir):
    env = cli_env(config_dir)
    data = clusters(3, 3, DIM, seed=13)
    files = [write_walks(tmp_path, f"p{i}", data[i]) for i in range(3)]
    extra = write_walks(tmp_path, "p0_more", data[0, :2])
    path = tmp_path / "shared.gallery"
    jobs = [("p0", files[0]), ("p1", files[1]), ("p2", files[2]), ("p0", extra)]
    processes = [
        subprocess.Popen([*CLI, "enroll", "-g", str(path), "-n", name, str(file)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for name, file in jobs
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    gallery = load_gallery(path)
    assert gallery.walk_counts() == {"p0": 5, "p1": 3, "p2": 3}  # (in whatever order they landed)
    assert gallery.model.mode == "svm" and gallery.model.calibration["source"] == "calibrated"
