"""Benchmark: a gallery of 10,000 people x 5 walks — identify latency and the cost of one more enroll.

    python bench/bench_gallery.py [--people 10000] [--walks 5] [--dim 128]

Synthetic, clearly clustered identification vectors stand in for real walks (the classifier's
cost depends on the counts, the dimension and how crowded the space is, not on where the
vectors came from). Measured in this run:

* the reference: fitting every person's SVM from scratch (what "refit everything on every
  change" would cost with the same exact solver), and a naive one-vs-rest LinearSVC on all
  walks for a few people, extrapolated to everybody;
* load, identify (one probe per call, after load) and save;
* enrolling one more walk of an enrolled person, and a new person, into the saved gallery:
  lock + load + refit + calibrate + signed atomic save, in-process and through the real CLI.

Targets (issue 5): identify < 100 ms after load, enroll < 10 s. Wall and CPU seconds are
printed: on a shared machine the CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gaitcli.gallery import classifier  # noqa: E402
from gaitcli.gallery.store import UNKNOWN, Gallery, editing, load_gallery, save_gallery  # noqa: E402
from gaitcli.gallery.vectors import save_vectors  # noqa: E402

FINGERPRINT = "bench-gait-model"
FEATURE_SPACE = "bench-features"


class Timer:
    """Wall and CPU seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def walks_of(people: int, walks: int, dim: int, noise: float, seed: int) -> np.ndarray:
    """Unit vectors (people, walks, dim) scattered around one random centre per person."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, 1, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=-1, keepdims=True)
    vectors = centres + noise * rng.normal(size=(people, walks, dim)).astype(np.float32) / np.sqrt(dim)
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def naive_refit_seconds(gallery: Gallery, sample: int) -> float:
    """Seconds per person of a plain LinearSVC trained on every walk (no working sets), times people."""
    from sklearn.svm import LinearSVC

    X = classifier.normalise(gallery.vectors)
    with Timer() as timer:
        for person in range(sample):
            svm = LinearSVC(C=classifier.SVM_C, loss="squared_hinge", dual=True, tol=1e-4, random_state=0)
            svm.fit(X, np.where(gallery.labels == person, 1, -1))
    return timer.cpu / sample * len(gallery.names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--walks", type=int, default=5)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--noise", type=float, default=0.6, help="scatter of a person's walks (0.6: cosine ~0.85 to their centre)")
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--blocks", type=int, default=1, help="score the vector as this many equal blocks apart, "
                        "as the default gait model's galleries do with its 5 (1: one SVM per person)")
    args = parser.parse_args()
    blocks = None if args.blocks == 1 else [[k * args.dim // args.blocks, (k + 1) * args.dim // args.blocks, 1.0]
                                            for k in range(args.blocks)]

    work = Path(tempfile.mkdtemp(prefix="bench-gallery-"))
    os.environ["GAITCLI_CONFIG_DIR"] = str(work / "config")  # a throw-away signing key
    data = walks_of(args.people, args.walks + 1, args.dim, args.noise, seed=0)  # the last walk is held out
    strangers = walks_of(args.probes, 1, args.dim, args.noise, seed=1)[:, 0]
    names = [f"person{p:05d}" for p in range(args.people)]
    print(f"gallery: {args.people} people x {args.walks} walks, {args.dim}-d, {args.blocks} block(s) scored apart; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, args.dim, score_blocks=blocks)
    with Timer() as build:
        gallery.add_walks([n for n in names for _ in range(args.walks)], data[:, : args.walks].reshape(-1, args.dim),
                          [f"{n}/walk{w}" for n in names for w in range(args.walks)])
    print(f"reference: fit every person from scratch    {build.wall:8.1f} s wall {build.cpu:8.1f} s CPU  "
          f"(threshold {gallery.model.threshold:.3f}: {gallery.model.calibration})")
    naive = naive_refit_seconds(gallery, sample=min(10, args.people))
    print(f"reference: naive one-vs-rest on all walks   {naive:8.1f} s CPU (extrapolated from 10 people)")

    path = work / "bench.gallery"
    with Timer() as save:
        save_gallery(gallery, path)
    with Timer() as load:
        gallery = load_gallery(path)
    print(f"save {save.wall:.2f} s, load {load.wall:.2f} s, file {path.stat().st_size / 1e6:.1f} MB")

    latencies = []
    probes = data[: args.probes, args.walks]
    answers = []
    for probe in probes:
        start = time.perf_counter()
        answers.extend(gallery.identify(probe[None], top_k=5))
        latencies.append(time.perf_counter() - start)
    identify_ms = statistics.median(latencies) * 1e3
    rank1 = np.mean([a.name == names[i] for i, a in enumerate(answers)])
    unknown = np.mean([a.name == UNKNOWN for a in gallery.identify(strangers)])
    print(f"identify one probe: median {identify_ms:.2f} ms, max {max(latencies) * 1e3:.2f} ms  "
          f"(held-out walks right: {rank1:.1%}, never-enrolled -> unknown: {unknown:.1%})")

    rng = np.random.default_rng(2)
    extra = data[123, 0] + args.noise * rng.normal(size=args.dim).astype(np.float32) / np.sqrt(args.dim)
    newcomer = walks_of(1, 2, args.dim, args.noise, seed=3)[0]
    with Timer() as one_walk:
        with editing(path) as target:
            target.add(names[123], extra[None], ["bench/extra"])
            refit_people = target.model.calibration["refit_people"]
    with Timer() as new_person:
        with editing(path) as target:
            target.add("newcomer", newcomer, ["bench/new1", "bench/new2"])
    print(f"enroll one more walk (lock+load+refit+save) {one_walk.wall:8.2f} s wall {one_walk.cpu:8.2f} s CPU "
          f"({refit_people} SVMs refit)")
    print(f"enroll a new person (2 walks)               {new_person.wall:8.2f} s wall {new_person.cpu:8.2f} s CPU")

    vectors_file = save_vectors(work / "walk.npy", extra, {"model_fingerprint": FINGERPRINT, "feature_space": FEATURE_SPACE,
                                                           "score_blocks": blocks})
    command = [sys.executable, "-m", "gaitcli.cli.main", "enroll", "-g", str(path), "-n", names[7], str(vectors_file)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with Timer() as cli:
        subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cli_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(f"`gaitcli enroll` end to end (new process)    {cli.wall:8.2f} s wall {cli_cpu:8.2f} s CPU "
          "(start-up and imports included)")

    enroll_s = max(one_walk.wall, new_person.wall, cli.wall)
    print("ratios:")
    print(f"  identify / 100 ms target         {identify_ms / 100:8.4f}")
    print(f"  enroll (slowest of 3) / 10 s     {enroll_s / 10:8.4f} wall, {max(one_walk.cpu, new_person.cpu, cli_cpu) / 10:.4f} CPU")
    print(f"  enroll CPU / from-scratch CPU    {one_walk.cpu / build.cpu:8.4f}")
    print(f"  enroll CPU / naive OvR CPU       {one_walk.cpu / naive:8.4f}")


if __name__ == "__main__":
    main()
