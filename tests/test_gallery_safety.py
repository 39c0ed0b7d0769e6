"""A gallery survives SIGKILL at any moment and concurrent writers (real processes, real signals)."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
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
    for i in range(1, 9):
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


WRITER = textwrap.dedent(
    """
    import sys
    from gaitcli.gallery.store import load_gallery, save_gallery
    first, second = load_gallery(sys.argv[1]), load_gallery(sys.argv[2])
    print("ready", flush=True)
    while True:
        save_gallery(first, sys.argv[3])
        save_gallery(second, sys.argv[3])
    """
)


def test_sigkill_while_writing_never_breaks_the_file(tmp_path, config_dir):
    """A process that does nothing but rewrite the gallery is killed at random moments of its writes."""
    env = cli_env(config_dir)
    data = clusters(3, 300, 256, noise=0.5, seed=12)  # ~1 MB of vectors: writes take a while
    small = Gallery(FINGERPRINT, FEATURE_SPACE, 256)
    small.add_walks([f"p{p}" for p in range(3) for _ in range(200)], data[:, :200].reshape(-1, 256), ["s"] * 600)
    large = Gallery(FINGERPRINT, FEATURE_SPACE, 256)
    large.add_walks([f"p{p}" for p in range(3) for _ in range(300)], data.reshape(-1, 256), ["s"] * 900)
    save_gallery(small, tmp_path / "small.gallery")
    save_gallery(large, tmp_path / "large.gallery")
    target = tmp_path / "target.gallery"
    save_gallery(small, target)
    rng = random.Random(6)
    seen = set()
    for _ in range(8):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path / "small.gallery"), str(tmp_path / "large.gallery"), str(target)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))
        process.kill()
        process.wait()
        process.stdout.close()
        seen.add(load_gallery(target).n_walks)
    assert seen <= {600, 900}
    assert list(tmp_path.glob(".target.gallery.*.tmp"))  # it was killed mid-write at least once
    # and those leftovers are never mistaken for the gallery: it loads, whole
    np.testing.assert_array_equal(load_gallery(target).vectors[:600], small.vectors)


def test_concurrent_enrolls_all_land(tmp_path, config_dir):
    env = cli_env(config_dir)
    data = clusters(4, 3, DIM, seed=13)
    files = [write_walks(tmp_path, f"p{i}", data[i]) for i in range(4)]
    extra = write_walks(tmp_path, "p0_more", data[0, :2])
    path = tmp_path / "shared.gallery"
    jobs = [("p0", files[0]), ("p1", files[1]), ("p2", files[2]), ("p3", files[3]), ("p0", extra)]
    processes = [
        subprocess.Popen([*CLI, "enroll", "-g", str(path), "-n", name, str(file)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for name, file in jobs
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    gallery = load_gallery(path)
    assert gallery.walk_counts() == {"p0": 5, "p1": 3, "p2": 3, "p3": 3}  # (in whatever order they landed)
    assert gallery.n_walks == 14 and gallery.model.mode == "svm"
