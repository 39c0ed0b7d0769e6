"""How a gallery's open-set threshold does on walks of your own, and the threshold they suggest.

The threshold a gallery uses comes from its own walks (when people have two or more) or from the
gait model, measured on synthetic people (:mod:`gaitcli.gallery.classifier`); neither has seen your
cameras, lighting or people. :func:`check_threshold` takes walks that are *not* enrolled, each
labelled with who walks in it: walks of enrolled people (*genuine*: their score for their own
person) and walks of people who are not enrolled (*strangers*: their best score for anybody). It
reports, at the gallery's threshold and at the threshold that minimises FAR + FRR on these walks
(the criterion the gallery and the gait model use), how many enrolled people's walks are named
right and how many strangers come out ``unknown``. Pass the suggestion to ``gaitcli identify
--threshold``; it is an estimate from the walks given, as good as they are many (fewer than
:data:`FEW_WALKS` of either kind is flagged).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from gaitcli.errors import InputError
from gaitcli.gallery.classifier import min_error_threshold

FEW_WALKS = 10  # genuine or stranger walks under which the suggestion is flagged as rough


@dataclass
class Rates:
    """What one threshold does on the checked walks (fractions)."""

    threshold: float
    named: float  # enrolled people's walks ranked first for their own person and at or above the threshold
    missed: float  # FRR: enrolled people's walks scoring under the threshold for their own person
    stranger_unknown: float  # strangers' walks whose best score is under the threshold
    stranger_named: float  # FAR: strangers' walks given a name


@dataclass
class ThresholdCheck:
    """:func:`check_threshold`'s answer; :meth:`as_dict` for JSON."""

    genuine_walks: int
    stranger_walks: int
    enrolled_left_out: int  # walks given that are enrolled in the gallery (a walk scores high against itself)
    people: int  # enrolled people among the checked walks
    strangers: int  # distinct people not enrolled
    current: Rates  # at the gallery's threshold
    current_source: str
    suggested: Rates  # at the least FAR + FRR on these walks
    rough: bool  # fewer than FEW_WALKS genuine or stranger walks

    def as_dict(self) -> dict:
        return asdict(self)


def rates(threshold: float, own: np.ndarray, first: np.ndarray, stranger_best: np.ndarray) -> Rates:
    """:class:`Rates` of ``threshold`` for genuine scores ``own`` (ranked ``first`` or not) and strangers' best scores."""
    return Rates(float(threshold), float((first & (own >= threshold)).mean()), float((own < threshold).mean()),
                 float((stranger_best < threshold).mean()), float((stranger_best >= threshold).mean()))


def check_threshold(gallery, names: Sequence[str], vectors: np.ndarray, *, camera: str | None = None) -> ThresholdCheck:
    """Rate ``gallery``'s threshold on labelled walks that are not enrolled: ``names[i]`` walks in
    ``vectors[i]`` (an enrolled person's name, or anyone else's for a stranger; a walk that is
    enrolled in the gallery is left out and counted). ``camera``: the
    walks were seen by this camera of the gallery's. ``InputError`` unless there are walks of both
    kinds."""
    names = [str(n) for n in names]
    vectors = np.atleast_2d(vectors)
    if len(names) != len(vectors):
        raise ValueError("one name per walk")
    fresh = np.array([not holders for holders in gallery.holders(vectors)], dtype=bool)
    names, vectors = [n for n, f in zip(names, fresh) if f], vectors[fresh]
    enrolled = {name: k for k, name in enumerate(gallery.names)}
    genuine = np.array([n in enrolled for n in names], dtype=bool)
    if not genuine.any() or genuine.all():
        have = "only walks of enrolled people" if genuine.any() else "no walk of an enrolled person"
        left_out = int((~fresh).sum())
        if left_out:
            have += f" ({left_out} walk(s) left out because they are enrolled in the gallery: a walk scores high against itself)"
        raise InputError(f"checking a threshold needs walks of enrolled people and of strangers (people not enrolled); got {have}")
    table = gallery.score_table(vectors, camera=camera)
    columns = np.array([enrolled[n] for n in np.asarray(names)[genuine]])
    own = table[genuine][np.arange(len(columns)), columns]
    first = table[genuine].argmax(axis=1) == columns
    stranger_best = table[~genuine].max(axis=1)
    model = gallery.model
    return ThresholdCheck(
        genuine_walks=int(genuine.sum()),
        stranger_walks=int((~genuine).sum()),
        enrolled_left_out=int((~fresh).sum()),
        people=len({n for n, g in zip(names, genuine) if g}),
        strangers=len({n for n, g in zip(names, genuine) if not g}),
        current=rates(model.threshold, own, first, stranger_best),
        current_source=str(model.calibration.get("source", "default")),
        suggested=rates(min_error_threshold(own, stranger_best), own, first, stranger_best),
        rough=bool(min(genuine.sum(), (~genuine).sum()) < FEW_WALKS),
    )
