"""Engine-walk records made from synthetic observations (fast; for training and head plumbing)."""

from __future__ import annotations


def records_from_synthetic(people: int, walks: int, first: int, *, seed: int = 7) -> list[dict]:
    """``people`` x ``walks`` synthetic walks (ids ``first``...) in the engine-walks record layout."""
    from gaitcli.synth.dataset import make_sequences

    out = []
    for k, (identity, ys, xs, ps, meta) in enumerate(make_sequences(people, walks, seed, identity_offset=first, fps=25.0)):
        out.append({"person": int(identity), "walk": k % walks + 1, "fps": meta["fps"], "covariate": meta["covariate"] or "",
                    "direction": meta["direction"], "coords_y": ys, "coords_x": xs, "probs": ps})  # fmt: skip
    return out
