"""Benchmark: one batch of clips embedded in one process, by local worker processes and by a
two-worker Dask cluster, in one run.

Usage: python bench/bench_batch.py [--clips 16] [--jobs 2] [--rounds 1]

The batch is ``--clips`` clips, the bundled ``sample_videos`` repeated. Printed per way of
running it (the :func:`gaitcli.batch.embed_many` call ``gaitcli embed`` makes):

* **1 process**: ``--jobs 1`` — the models loaded once, BlazePose on 2 threads (the default);
* **joblib**: ``--jobs N`` — N worker processes, each loading the models, each with
  ``cores // N`` threads (worker start-up included: that is what the command pays);
* **Dask**: a ``LocalCluster`` of N worker processes with one thread each, started before
  the clock (a cluster is long-running), its workers' first model loading included;

with wall time, clips per second, the ratio to the one-process run, whether the vectors equal
the one-process run's, and the throughput as hours of video per core-hour — the number that
sizes a cluster (docs/batch.md works 10,000 hours of video out from it). Each time is the best
of ``--rounds``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from itertools import cycle, islice
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def clip_seconds(clips: list[Path]) -> float:
    """Total duration of the clips (frames / frame rate)."""
    from gaitcli.io.video import open_frames

    total = 0.0
    for clip in clips:
        source = open_frames(clip)
        total += source.num_frames / source.fps
    return total


def timed(label: str, run, rounds: int):
    """(best wall time, outcomes of the last round) of ``run()``."""
    best, outcomes = float("inf"), None
    for _ in range(rounds):
        start = time.perf_counter()
        outcomes = run()
        best = min(best, time.perf_counter() - start)
    print(f"  {label}: done in {best:.1f} s", file=sys.stderr)
    return best, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from gaitcli.api import shared_embedder
    from gaitcli.batch import Failure, available_cpus, embed_many

    samples = sorted((REPO / "sample_videos").glob("*.mp4"))
    clips = list(islice(cycle(samples), args.clips))
    video_s = clip_seconds(clips)
    cores = available_cpus()
    print(f"{len(clips)} clips ({len(samples)} sample videos repeated), {video_s:.0f} s of video; {cores} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    shared_embedder()  # the one-process run's models, loaded once as `gaitcli embed` loads them

    runs = {}
    runs["1 process"] = (*timed("1 process", lambda: embed_many(clips), args.rounds), min(2, cores))
    runs[f"joblib, --jobs {args.jobs}"] = (
        *timed(f"joblib --jobs {args.jobs}", lambda: embed_many(clips, jobs=args.jobs), args.rounds), cores)
    with LocalCluster(n_workers=args.jobs, processes=True, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        runs[f"Dask, {args.jobs} workers"] = (
            *timed("Dask", lambda: embed_many(clips, scheduler=client), args.rounds), min(args.jobs, cores))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")

    reference = runs["1 process"][1]
    base = runs["1 process"][0]
    print(f"\n{'':24} {'wall s':>7} {'clips/s':>8} {'vs 1 process':>13} {'same vectors':>13} {'video h per core-h':>19}")
    for label, (seconds, outcomes, used) in runs.items():
        failed = [o for o in outcomes if isinstance(o, Failure)]
        same = not failed and all(np.array_equal(a.vector, b.vector) for a, b in zip(outcomes, reference))
        per_core_hour = video_s / (seconds * used)
        print(f"{label:24} {seconds:7.1f} {len(clips) / seconds:8.2f} {base / seconds:12.2f}x {'yes' if same else 'NO':>13} "
              f"{per_core_hour:19.2f}")
        for failure in failed:
            print(f"  failed: {failure.error}")
    print("\n(video h per core-h: hours of video embedded per hour of one core, counting the cores the run kept busy: "
          "2 threads for one process, every core for joblib, one per Dask worker)")


if __name__ == "__main__":
    main()
