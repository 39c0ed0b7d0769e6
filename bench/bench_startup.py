"""Benchmark: what a `gaitcli identify` / `gaitcli enroll` costs beyond starting Python with NumPy.

    python bench/bench_startup.py [--rounds 7]

A small gallery (3 people, 24-d vectors like the default model's) and a probe ``.npy`` are
written to a temporary folder. Each round runs, one after the other, the reference
``python -c "import numpy"`` and the commands, each in a fresh process, and reads the CPU
seconds (user + system) the child used. Printed: the median per command, its difference from
the reference (the goal: at most 0.4 s above it) and the ratio, all measured in this run.

``identify`` reads the gallery and scores one walk. ``enroll`` does real work the reference
does not: it refits the gallery's SVMs (scikit-learn's import and the fits) and writes a signed
file; its start-up alone is measured by an ``enroll`` that stops at its first check (a missing
input, exit 3) after the interpreter, the imports and the command line.
``--profile`` prints the slowest imports of one ``identify`` (``python -X importtime``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gaitcli.gallery.vectors import save_vectors  # noqa: E402

FINGERPRINT = "bench-startup-model"
FEATURE_SPACE = "bench-features"


def child_cpu(argv: list[str], env: dict[str, str], *, fails: bool = False) -> float:
    """CPU seconds (user + system) of one child process running ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if (done.returncode != 0) != fails:
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}\n{done.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def write_walks(folder: Path, name: str, vectors: np.ndarray) -> Path:
    meta = {"model_fingerprint": FINGERPRINT, "feature_space": FEATURE_SPACE, "open_set_threshold": 0.04}
    return save_vectors(folder / f"{name}.npy", vectors, meta)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print the slowest imports of one identify")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 24))
    walks = centres[:, None] + 0.3 * rng.normal(size=(4, 3, 24))
    walks /= np.linalg.norm(walks, axis=-1, keepdims=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, GAITCLI_CONFIG_DIR=str(tmp / "config"), PYTHONPATH=str(REPO))
        gaitcli = [sys.executable, "-m", "gaitcli.cli.main"]
        gallery = tmp / "people.gallery"
        for k in range(3):
            subprocess.run([*gaitcli, "enroll", "--gallery", str(gallery), "--name", f"p{k}",
                            str(write_walks(tmp, f"p{k}", walks[k, :2]))], env=env, check=True, capture_output=True)  # fmt: skip
        probe = write_walks(tmp, "probe", walks[0, 2])
        newcomer = write_walks(tmp, "newcomer", walks[3, :2])
        commands = {
            'python -c "import numpy" (reference)': [sys.executable, "-c", "import numpy"],
            "gaitcli identify (one .npy walk)": [*gaitcli, "identify", "--gallery", str(gallery), str(probe)],
            "gaitcli enroll, start-up only (stops at a missing input)": [*gaitcli, "enroll", "--gallery", str(tmp / "copy.gallery"),
                                                                        "--name", "newcomer", str(tmp / "missing.npy")],  # fmt: skip
            "gaitcli enroll (one more person, 2 .npy walks)": [*gaitcli, "enroll", "--gallery", str(tmp / "copy.gallery"),
                                                              "--name", "newcomer", str(newcomer)],  # fmt: skip
        }
        if args.profile:
            done = subprocess.run([sys.executable, "-X", "importtime", *commands["gaitcli identify (one .npy walk)"][1:]],
                                  env=env, capture_output=True, text=True)  # fmt: skip
            rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:") and "cumulative" not in line]
            rows.sort(key=lambda r: -int(r[1]))
            for r in rows[:25]:
                print(f"{int(r[1]) / 1e6:7.3f} s  {r[2].rstrip()}")
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, argv in commands.items():
                if "enroll" in name:
                    shutil.copy(gallery, tmp / "copy.gallery")
                cpu[name].append(child_cpu(argv, env, fails="missing" in name))
    reference = statistics.median(cpu['python -c "import numpy" (reference)'])
    print(f"| command | CPU s (median of {args.rounds}) | above the reference | ratio |")
    print("|---|---|---|---|")
    for name, values in cpu.items():
        m = statistics.median(values)
        print(f"| {name} | {m:.3f} | {m - reference:+.3f} | {m / reference:.2f} |")


if __name__ == "__main__":
    main()
