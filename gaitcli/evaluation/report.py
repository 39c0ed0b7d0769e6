"""The evaluation's outputs: a JSON report, CMC and ROC plots (PNG) and rich tables.

Rates in the JSON report are fractions in [0, 1] (the tables print percentages); a number
that cannot be computed (e.g. an EER without impostor pairs) is ``null``. Files are written
atomically (:func:`gaitcli.atomic.atomic_write`) into the output folder, named after the protocol: ``<protocol>-report.json``,
``<protocol>-cmc.png``, ``<protocol>-roc.png``.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from gaitcli.atomic import atomic_write
from gaitcli.evaluation.embedding import Embeddings
from gaitcli.evaluation.metrics import RocCurve
from gaitcli.evaluation.protocols import PRESETS, Split
from gaitcli.evaluation.scoring import Results, rank

REPORT_FORMAT = "gaitcli.evaluation/1"
MATCHING_SCORE = "cosine similarity of the L2-normalised identification vectors"
CAMERA_ADAPTED = ", each view's mean vector taken out of its walks first (camera adaptation; no names used)"
#: The CMC plot shows at most this many ranks.
CMC_PLOT_RANKS = 50


def build_report(dataset_root: Path, split: Split, results: Results, embeddings: Embeddings) -> dict[str, Any]:
    """The JSON-ready report of one evaluation."""
    labels = {w.path: w.label for w in split.walks}
    conditions = {}
    roc = {"overall": _roc_dict(results.roc)}
    for c in results.conditions:
        conditions[c.name] = {
            "probes": c.probes,
            **_rates(c.cmc, c.mean_ap, c.roc),
            "cmc": _nums(c.cmc),
            "views": {
                view: {
                    "probes": v.probes,
                    **_rates(v.cmc, v.mean_ap, None, eer=False),
                    **({"rank1_by_gallery_view": {g: _num(r) for g, r in v.gallery_views.items()}} if v.gallery_views else {}),
                }
                for view, v in c.views.items()
            },
        }
        roc[c.name] = _roc_dict(c.roc)
    return {
        "format": REPORT_FORMAT,
        "dataset": str(dataset_root),
        "protocol": {
            "name": split.protocol,
            "description": split.description,
            "cross_view": split.cross_view,
            "conditions": [c.name for c in results.conditions],
            "views": split.views,
        },
        "matching_score": MATCHING_SCORE + (CAMERA_ADAPTED if results.camera_adapted else ""),
        "camera_adapted": results.camera_adapted,
        "camera_adaptation": results.camera_adaptation,
        "model_fingerprint": embeddings.model_fingerprint,
        "feature_space": embeddings.feature_space,
        "counts": {
            "subjects": len({e.subject for e in split.gallery + split.probes}),
            "gallery_identities": results.gallery_identities,
            "gallery_walks": results.gallery_walks,
            "probe_walks": results.probe_walks,
            "unused_walks": len(split.unused),
            "failed_walks": len(embeddings.failed),
            "loaded": embeddings.loaded,
            "cached": embeddings.cached,
            "embedded": embeddings.embedded,
        },
        "overall": {**_rates(results.cmc, results.mean_ap, results.roc), "cmc": _nums(results.cmc)},
        "conditions": conditions,
        "roc": roc,
        "failed": [{"walk": labels.get(p, str(p)), "path": str(p), "error": msg} for p, msg in embeddings.failed.items()],
    }


def write_outputs(report: dict[str, Any], results: Results, out_dir: Path) -> dict[str, Path]:
    """Write the CMC and ROC plots and the JSON report (which lists the files) into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = report["protocol"]["name"]
    title = f"{prefix} — {Path(report['dataset']).name}"
    names = display_names(report)
    files = {
        "cmc": out_dir / f"{prefix}-cmc.png",
        "roc": out_dir / f"{prefix}-roc.png",
        "report": out_dir / f"{prefix}-report.json",
    }
    atomic_write(files["cmc"], _png(plot_cmc(results, names, title)))
    atomic_write(files["roc"], _png(plot_roc(results, names, title)))
    report["files"] = {k: str(v) for k, v in files.items()}
    atomic_write(files["report"], json.dumps(report, indent=2).encode() + b"\n")
    return files


def display_names(report: dict[str, Any]) -> dict[str, str]:
    """Condition names as tables and plots show them (presets' in capitals: NM, BG, CL)."""
    upper = report["protocol"]["name"] in PRESETS
    return {c: c.upper() if upper else c for c in report["protocol"]["conditions"]}


def plot_cmc(results: Results, names: dict[str, str], title: str):
    """A matplotlib Figure (Agg, no display needed) of the CMC curves: per condition and overall."""
    from matplotlib.ticker import MaxNLocator

    fig, ax = _figure()
    ranks = np.arange(1, min(len(results.cmc), CMC_PLOT_RANKS) + 1)
    for c in results.conditions:
        ax.plot(ranks, 100 * c.cmc[: len(ranks)], marker="o", markersize=3, label=f"{names[c.name]} (rank-1 {100 * c.cmc[0]:.1f}%)")
    ax.plot(ranks, 100 * results.cmc[: len(ranks)], "k--", label=f"overall (rank-1 {100 * results.cmc[0]:.1f}%)")
    ax.set_xlabel("rank")
    ax.set_ylabel("identification rate (%)")
    ax.set_ylim(0, 101)
    ax.set_xlim(1, max(len(ranks), 2))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"CMC — {title}")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return fig


def plot_roc(results: Results, names: dict[str, str], title: str):
    """A matplotlib Figure of the verification ROC curves (TAR against FAR, log scale) with their EERs."""
    fig, ax = _figure()
    for label, curve, style in [(names[c.name], c.roc, "-") for c in results.conditions] + [("overall", results.roc, "k--")]:
        if curve is None:
            continue
        thin = curve.thinned()
        ax.plot(100 * thin.far, 100 * thin.tar, style, label=f"{label} (EER {100 * curve.eer:.1f}%)")
    # FAR = 0 cannot show on a log axis: start at one impostor pair in the pool
    low = 100.0 / results.roc.impostor if results.roc is not None else 0.01
    far = np.logspace(np.log10(low), 2, 200)
    ax.plot(far, 100 - far, ":", color="grey", linewidth=1, label="FAR = FRR")
    ax.set_xscale("log")
    ax.set_xlim(low, 100)
    ax.set_xlabel("false accept rate (%)")
    ax.set_ylabel("true accept rate (%)")
    ax.set_ylim(0, 101)
    ax.set_title(f"ROC — {title}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def tables(report: dict[str, Any]) -> list:
    """Rich renderables of a report: the protocol, the summary per condition and, with views,
    rank-1 per probe view."""
    from rich.table import Table
    from rich.text import Text

    names = display_names(report)
    protocol = report["protocol"]
    summary = Table()
    for column in ("condition", "probes", "rank-1", "rank-5", "mAP", "EER"):
        summary.add_column(column, justify="left" if column == "condition" else "right")
    for name, c in report["conditions"].items():
        summary.add_row(names[name], str(c["probes"]), *(_pct(c[k]) for k in ("rank1", "rank5", "mAP", "EER")))
    o = report["overall"]
    summary.add_row("overall", str(report["counts"]["probe_walks"]), *(_pct(o[k]) for k in ("rank1", "rank5", "mAP", "EER")), style="bold")
    out = [Text(f"{protocol['name']}: {protocol['description']}", style="bold"), summary]
    if report.get("camera_adaptation", "").startswith(("applied", "not applied: view")):
        out.append(Text(f"camera adaptation {report['camera_adaptation']}"))
    views = protocol["views"]
    if views:
        what = "mean over the other gallery views" if protocol["cross_view"] else "whole gallery"
        per_view = Table()
        per_view.add_column("probe view")
        conditions = report["conditions"]
        for name in conditions:
            per_view.add_column(names[name], justify="right")
        for view in views:
            per_view.add_row(
                view, *(_pct(c["views"][view]["rank1"], sign=False) if view in c["views"] else "" for c in conditions.values())
            )
        per_view.add_row("mean", *(_pct(c["rank1"], sign=False) for c in conditions.values()), style="bold")
        out += [Text(f"rank-1 (%) per probe view ({what})", style="bold"), per_view]
    return out


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), dpi=100, layout="tight")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _rates(cmc: np.ndarray, mean_ap: float, roc: RocCurve | None, *, eer: bool = True) -> dict[str, float | None]:
    rates = {"rank1": _num(rank(cmc, 1)), "rank5": _num(rank(cmc, 5)), "mAP": _num(mean_ap)}
    if eer:
        rates["EER"] = _num(roc.eer) if roc is not None else None
    return rates


def _roc_dict(roc: RocCurve | None) -> dict[str, Any] | None:
    if roc is None:
        return None
    thin = roc.thinned()
    return {
        "eer": _num(roc.eer),
        "genuine_pairs": roc.genuine,
        "impostor_pairs": roc.impostor,
        "far": _nums(thin.far),
        "tar": _nums(thin.tar),
        "thresholds": [_num(t) if np.isfinite(t) else None for t in thin.thresholds],
    }


def _num(x: float) -> float | None:
    x = float(x)
    return None if math.isnan(x) else round(x, 6)


def _nums(values) -> list[float | None]:
    return [_num(v) for v in values]


def _pct(value: float | None, sign: bool = True) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.1f}%" if sign else f"{100 * value:.1f}"
