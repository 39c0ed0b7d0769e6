#!/usr/bin/env python
"""Rebuild gaitcli's default gait model end to end from a fresh clone, one stage after another.

    python scripts/build_default_model.py --mocap-dir ../shared/data/mocap --work build/ --out gait_default.npz
    python scripts/build_default_model.py --mocap-dir ../shared/data/mocap --work build/ --dry-run   # the commands only

Every input is named on the command line (no folder is found behind your back) and every stage
is one of gaitcli's own commands, with the defaults that made the packaged model
(``gaitcli/training/gait_config.py``); its output lands in ``--work``, and a stage whose output
is already there is skipped, so an interrupted build resumes. The stages:

1. ``gaitcli train gait``: the network (synthetic walkers + the CMU walks of ``--mocap-dir``; ~40 min);
2. ``scripts/engine_walks.py``: rendered synthetic people run through BlazePose — the head's
   background people (train, val, extra), the threshold people (calib) and held-out people (test)
   (~1.5 h on 2 cores);
3. ``gaitcli train head``: the discriminant head on the background people (~2 min);
4. ``gaitcli train blocks``: the input blocks and the one-walk threshold (~5 min);
5. ``gaitcli train cross-view``: the packaged cross-view model, the same network with a head for
   galleries and probes filmed from different sides (``gait_crossview.npz`` beside ``--out``; ~15 min).

Each checkpoint records the fingerprints of the files and folders it was made from and the
versions of the packages that made it (``training`` in its metadata). Deterministic given the
same package versions (LiteRT's build can move BlazePose's output by a pixel, and with it the
engine walks: the tested ranges are pinned in ``pyproject.toml``).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GAITCLI = [sys.executable, "-m", "gaitcli.cli.main"]
ENGINE_WALKS = [sys.executable, str(REPO / "scripts" / "engine_walks.py")]

#: (file, people, walks, first id, extra flags) of the engine-walk sets (docs/training.md).
ENGINE_SETS = (
    ("engine_train.npz", 240, 4, 1001, ()),
    ("engine_val.npz", 40, 3, 2001, ()),
    ("engine_extra.npz", 120, 3, 4001, ("--single-pass", "--every-frame")),
    ("engine_calib.npz", 40, 3, 5001, ()),
    ("engine_test.npz", 40, 3, 3001, ()),
)


def stages(mocap_dir: Path, work: Path, out: Path, workers: int) -> list[tuple[Path, list[str]]]:
    """(output, command) of every stage, in order."""
    network, head = work / "gait_network.npz", work / "gait_head.npz"
    plan = [(network, [*GAITCLI, "train", "gait", "--mocap-dir", str(mocap_dir), "--out", str(network), "--force"])]
    for name, people, walks, first, flags in ENGINE_SETS:
        plan.append((work / name, [*ENGINE_WALKS, "--people", str(people), "--walks", str(walks), "--first", str(first),
                                   "--workers", str(workers), *flags, "--out", str(work / name)]))
    walks = [arg for name in ("engine_train.npz", "engine_val.npz", "engine_extra.npz") for arg in ("--engine-walks", str(work / name))]
    plan.append((head, [*GAITCLI, "train", "head", "--gait-checkpoint", str(network), *walks, "--threshold-walks",
                        str(work / "engine_calib.npz"), "--val-walks", str(work / "engine_test.npz"), "--out", str(head), "--force"]))
    plan.append((out, [*GAITCLI, "train", "blocks", "--gait-checkpoint", str(head), "--threshold-walks", str(work / "engine_calib.npz"),
                       "--out", str(out), "--force"]))
    cross_view = out.with_name("gait_crossview.npz")
    plan.append((cross_view, [*GAITCLI, "train", "cross-view", "--gait-checkpoint", str(out), "--out", str(cross_view), "--force"]))
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mocap-dir", type=Path, required=True, help="the CMU walks (folder with INDEX.tsv)")
    parser.add_argument("--work", type=Path, required=True, help="folder for every stage's output (resumed when present)")
    parser.add_argument("--out", type=Path, help="the finished model (default: WORK/gait_default.npz)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the engine walks")
    parser.add_argument("--dry-run", action="store_true", help="print the commands and stop")
    args = parser.parse_args(argv)
    if not (args.mocap_dir / "INDEX.tsv").is_file():
        parser.error(f"{args.mocap_dir} holds no INDEX.tsv of CMU walks")
    out = args.out or args.work / "gait_default.npz"
    plan = stages(args.mocap_dir.resolve(), args.work.resolve(), out.resolve(), args.workers)
    if not args.dry_run:
        args.work.mkdir(parents=True, exist_ok=True)
    for target, command in plan:
        line = " ".join(shlex.quote(c) for c in command)
        if args.dry_run:
            print(line)
            continue
        if target.exists() and not target.name.startswith("engine_"):  # engine-walk files resume by themselves
            print(f"== {target.name} is there; skipped", flush=True)
            continue
        print(f"== {line}", flush=True)
        done = subprocess.run(command, cwd=REPO)
        if done.returncode:
            print(f"stage failed (exit {done.returncode}): {line}", file=sys.stderr)
            return done.returncode
    if not args.dry_run:
        print(f"done: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
