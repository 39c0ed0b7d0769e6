"""Write a labelled dataset of synthetic walkers (keypoint files) to try `gaitcli evaluate` on.

    python scripts/make_synthetic_dataset.py walkers/ --subjects 30 --walks 4
    gaitcli evaluate walkers/ --gallery-pattern 'walk-1*' --out eval/
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gaitcli.synth.export import write_keypoint_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--subjects", type=int, default=30)
    parser.add_argument("--walks", type=int, default=4)
    parser.add_argument("--seed", type=int, default=424242)
    parser.add_argument("--covariates", type=float, default=0.0, help="share of walks with a bag, coat, phone, ...")
    args = parser.parse_args()
    files = write_keypoint_dataset(args.out, args.subjects, args.walks, seed=args.seed, covariate_share=args.covariates)
    print(f"wrote {len(files)} walks of {args.subjects} people to {args.out}")


if __name__ == "__main__":
    main()
