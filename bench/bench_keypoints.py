"""Time and memory of a long keypoint file through the embed pipeline, against parsing it.

Writes a COCO-17 results file of ``--results`` entries (default 181,040: ~100 MB, 100 minutes of
one synthetic walker walking in place at 30 fps, so that one track holds every frame) into a
temporary folder, then measures in fresh processes, so that peaks do not mix:

* ``json``: ``json.load`` of the file (the reference: what parsing alone costs);
* ``load``: :func:`gaitcli.io.keypoints.load_keypoints` (parse, check, map the joints, track);
* ``embed``: :meth:`gaitcli.api.Embedder.embed` (load, prepare the walk, the gait network).

Printed per stage: wall time, CPU time, peak RSS, and the ratios to the reference. A reader whose
time grows with the square of the file (as tracking once did: minutes for 20,000 results,
hours for this file) shows up as a ratio in the hundreds.

    python bench/bench_keypoints.py
    python bench/bench_keypoints.py --results 40000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

STAGES = {
    "json": "import json; json.load(open(PATH))",
    "load": "from gaitcli.io.keypoints import load_keypoints; load_keypoints(PATH)",
    "embed": "from gaitcli.api import Embedder; Embedder().embed(PATH)",
}


def write_file(path: Path, results: int) -> None:
    """One synthetic walker, walking in place (forward through its clip, then backward), 30 fps."""
    import numpy as np

    from gaitcli.constants import JOINT_NAMES
    from gaitcli.io.skeletons import COCO17_NAMES
    from gaitcli.synth.dataset import make_sequences

    (_, ys, xs, ps, _), _ = make_sequences(1, 2, seed=7, covariate_share=0.0)
    xs = xs - (xs.mean(axis=1, keepdims=True) - xs[0].mean())
    loop = np.concatenate([np.arange(len(ys)), np.arange(len(ys))[::-1]])
    seed_of = {name: JOINT_NAMES.index(name) for name in JOINT_NAMES}
    head = (xs[:, seed_of["head_top"]] * 0.4 + xs[:, seed_of["upper_neck"]] * 0.6,
            ys[:, seed_of["head_top"]] * 0.4 + ys[:, seed_of["upper_neck"]] * 0.6)
    with open(path, "w") as out:
        out.write("[")
        for k in range(results):
            t = loop[k % len(loop)]
            kp = []
            for name in COCO17_NAMES:
                if name in seed_of:
                    j = seed_of[name]
                    kp += [round(float(xs[t, j]), 2), round(float(ys[t, j]), 2), round(float(ps[t, j]), 3)]
                else:  # nose, eyes, ears: near the head
                    kp += [round(float(head[0][t]), 2), round(float(head[1][t]), 2), 0.9]
            out.write(("," if k else "") + json.dumps({"image_id": k, "category_id": 1, "keypoints": kp, "score": 0.9}))
        out.write("]")


def measure(stage: str, path: Path) -> dict:
    code = (f"import resource, time; PATH = {str(path)!r}; start = time.perf_counter(); {STAGES[stage]}; "
            "usage = resource.getrusage(resource.RUSAGE_SELF); "
            "print(time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    wall, cpu, peak = (float(v) for v in done.stdout.split())
    return {"wall": wall, "cpu": cpu, "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=181_040, help="COCO results (frames) in the file.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "walk.json"
        write_file(path, args.results)
        print(f"{path.stat().st_size / 1e6:.1f} MB, {args.results} results (one walker, 30 fps: {args.results / 1800:.1f} min)")
        reference = None
        for stage in STAGES:
            got = measure(stage, path)
            reference = reference or got
            print(f"{stage:6s} wall {got['wall']:7.1f} s  cpu {got['cpu']:7.1f} s  peak RSS {got['peak'] / 1e9:5.2f} GB  "
                  f"ratio to json: time {got['cpu'] / reference['cpu']:5.1f}  memory {got['peak'] / reference['peak']:4.2f}")


if __name__ == "__main__":
    main()
