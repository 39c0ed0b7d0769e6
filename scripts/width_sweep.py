#!/usr/bin/env python
"""Does narrowing the gait network cost accuracy? Train the default recipe at several widths.

Runs ``gaitcli train gait`` (the default model's recipe, same seed, same data, same steps) once
per width scale — a multiple of the default model's widths, where 4 is the seed's full GaitNN —
each in a fresh process, and prints held-out rank-1 (best over the run, and at the last
evaluation), the seconds per step and the parameter count per scale.

    python scripts/width_sweep.py --scales 0.5 1 2 --steps 400
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.5, 1.0, 2.0], help="width scales (4 = the seed's widths)")
    parser.add_argument("--steps", type=int, default=400, help="training steps per scale")
    parser.add_argument("--val-identities", type=int, default=128, help="held-out people (more: less noisy rank-1)")
    parser.add_argument("--out", type=Path, help="write the table as JSON here too")
    args, extra = parser.parse_known_args(argv)  # anything else goes to `gaitcli train gait`
    from gaitcli.gait.checkpoint import GaitCheckpoint

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            out = Path(tmp) / f"w{scale:g}.npz"
            command = [
                sys.executable, "-m", "gaitcli.cli.main", "train", "gait", "--out", str(out), "--width-scale", str(scale),
                "--steps", str(args.steps), "--val-identities", str(args.val_identities), "--minutes", "600", "--json", *extra,
            ]  # fmt: skip
            print(f"width scale {scale:g}: {' '.join(command[3:])}", file=sys.stderr, flush=True)
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                return done.returncode
            report = json.loads(done.stdout)
            ckpt = GaitCheckpoint.load(out)
            params = sum(int(v.size) for v in ckpt.weights.values())
            last = report["history"][-1]
            rows.append(
                {
                    "scale": scale,
                    "widths": ckpt.config.widths,
                    "parameters": params,
                    "best_rank1": report["best"]["rank1"],
                    "best_step": report["best"]["step"],
                    "last_rank1": last["rank1"],
                    "seconds_per_step": 60.0 * report["minutes"] / report["steps"],
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print("| width scale | parameters | best held-out rank-1 (step) | rank-1 at the last step | s / step |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['scale']:g}x | {r['parameters']:,} | {100 * r['best_rank1']:.1f} % ({r['best_step']}) | "
            f"{100 * r['last_rank1']:.1f} % | {r['seconds_per_step']:.2f} |"
        )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
