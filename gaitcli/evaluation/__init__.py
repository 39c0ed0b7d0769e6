"""Evaluation: the field's protocols, numbers and plots on a labelled folder of walks.

``evaluate_dataset(folder, preset="casia-b")`` scans ``folder/<subject>/<walk>``
(:mod:`~gaitcli.evaluation.dataset`), splits it into gallery and probes
(:mod:`~gaitcli.evaluation.protocols`), embeds the walks with a cache
(:mod:`~gaitcli.evaluation.embedding`), computes rank-k / CMC, mAP and EER / ROC
(:mod:`~gaitcli.evaluation.metrics`, :mod:`~gaitcli.evaluation.scoring`) and writes the JSON
report and the CMC and ROC plots (:mod:`~gaitcli.evaluation.report`).
"""

from gaitcli.evaluation.dataset import Dataset, Walk, scan_dataset
from gaitcli.evaluation.embedding import ApiEmbedder, Embedder, Embeddings, embed_walks
from gaitcli.evaluation.protocols import PRESETS, Split, split_dataset
from gaitcli.evaluation.run import Evaluation, default_out_dir, evaluate_dataset
from gaitcli.evaluation.scoring import Results, score_split

__all__ = [
    "PRESETS",
    "ApiEmbedder",
    "Dataset",
    "Embedder",
    "Embeddings",
    "Evaluation",
    "Results",
    "Split",
    "Walk",
    "default_out_dir",
    "embed_walks",
    "evaluate_dataset",
    "scan_dataset",
    "score_split",
    "split_dataset",
]
