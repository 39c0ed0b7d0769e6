"""The gallery's classifier: one-vs-rest linear SVMs over identification vectors, refit on every change.

**Model.** Every enrolled person ``c`` has a binary linear SVM ``(w_c, b_c)`` (scikit-learn
``LinearSVC``: squared hinge, ``C = SVM_C``, every walk weighted 1) separating their walks
from everybody else's and from the *average walker*, one virtual negative walk at the origin of
the centred vectors (:func:`features`). Without it, a person enrolled with one walk among a
few others is told apart only from those few, and a stranger who resembles nobody lands on
somebody's side of the hyperplanes by chance; with it, a walk must be nearer to the person
than to the average walker to score above 0.

**Centring.** The SVMs see *centred* vectors: L2-normalised, minus the component ``m`` the
gallery's walks share, L2-normalised again (:func:`features`). A network's raw gait vectors
often share a large common component (all pairs at cosine 0.99); centring removes it, so that
how people differ fills the unit sphere and one ``C`` suits any gait model. ``m`` is the walks'
mean shrunk by their mean pairwise cosine (:func:`common_component`): nearly the mean for such
vectors, nearly zero for vectors already centred on a background population (a model with a
discriminant head), whose few-walk mean would be mostly the walks themselves. ``m`` is fixed
between full refits (see below), so every walk's features stay fixed and the incremental
refits stay exact.

**Scores** are cosine-normalised decision values, ``(w_c . x + b_c) / |w_c|`` for a probe's
features ``x`` (unit length): the signed distance from the probe to person ``c``'s hyperplane
(positive: on ``c``'s side). They share one unit for every person and every probe, so they
can be ranked and thresholded. A gallery of one person has no second class: its score is the
cosine similarity of the probe to that person's nearest walk (plain L2-normalised vectors).

**Blocks.** A gait model whose vector is made of blocks of their own (a discriminant head with
input blocks: discriminants, body statistics, arm statistics, network vector, body proportions)
may ask for its blocks to be scored apart (:attr:`gaitcli.gait.discriminant.DiscriminantHead.block_scoring`):
then every person has one SVM per block, each over that block's own centred features, and a
probe's score is the weighted sum of the blocks' cosine-normalised scores (the weights sum to
1: :func:`check_blocks`). One SVM over the whole vector leans on whichever block separates the
enrolled walks best; apart, every block has its say. Everything below holds per block; a vector
of one block (the default) is scored exactly as one SVM.

**Exact refits that scale.** Each per-person problem is convex with a unique optimum whose
loss is a sum over walks with fixed weights (nothing depends on how many walks there are). A
negative walk with margin ``w_c . x + b_c <= -1`` contributes neither loss nor gradient, so:

* a person's SVM is solved on a *working set* (their walks plus the hardest negatives) and
  then checked against every other walk in the gallery; violators join the working set and
  it is solved again until none is left — the result is the SVM of the whole gallery;
* the virtual walk is in every working set (it never changes);
* adding or removing walks leaves person ``c``'s optimum unchanged unless a changed walk has
  margin ``> -1`` under ``c``'s current SVM; only those people (and the person enrolled or
  removed) are refit. Galleries with ``people x walks <= FULL_REFIT_MAX`` simply refit everyone
  and re-centre (a full refit); larger ones keep the centre of their last full refit.

**Open-set threshold** (calibrated on every change, on the gallery itself): for up to
``CALIBRATION_PEOPLE`` people (all of them in smaller galleries; a fixed-seed sample
otherwise), *genuine* scores come from leaving one walk out (the person's SVM refit without
it, then scored on it; up to ``CALIBRATION_WALKS`` walks each; a walk that is not a support
vector of its own SVM needs no refit) and *impostor* scores from leaving the whole person
out (the best score of each of their walks among everybody else; the SVMs their walks did
not support are exactly unchanged, and of those they did, the ``IMPOSTOR_REFITS`` that score
them highest are refit without them — the others keep their slightly lower scores, an
approximation that only matters when a person supports many SVMs). The threshold minimises
``FAR + FRR`` (impostors accepted + genuines rejected, as fractions) over the midpoints
between the sorted scores; a tie picks the middle of the best range. When the gait model has
its own threshold (measured on held-out people when its head was fitted), the gallery's
estimate is shrunk toward it: ``(n * measured + PRIOR_STRENGTH * model's) / (n + PRIOR_STRENGTH)``
with ``n`` the smaller of the two score counts, since a few people give a noisy estimate (and
a biased one: a genuine score comes from an SVM with one walk fewer). With fewer than three
people (or no person with two walks) there is nothing to calibrate on and a default is used:
for the SVM, the gait model's own threshold for such galleries when it has one (measured on
held-out people when its head was fitted), else 0, the SVMs' own decision (a walk on the
person's side of the hyperplane that separates them from the others and the average walker);
cosine 0.5 for one person.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

SVM_C = 10.0  # soft-margin penalty of every per-person SVM (near hard margin: few support vectors)
MARGIN_TOL = 1e-3  # slack on the margin tests (the solver's own tolerance is ~1e-4)
INITIAL_NEGATIVES = 256  # hardest negatives a working set starts with (no earlier solution)
WARM_EXTRA_NEGATIVES = 128  # beyond those inside an earlier solution's margin
FULL_REFIT_MAX = 200_000  # people x walks up to which every change refits every person
CALIBRATION_PEOPLE = 30  # people left out (one walk, then whole) to calibrate the threshold
CALIBRATION_WALKS = 2  # walks per person left out for genuine scores
IMPOSTOR_REFITS = 2  # SVMs refit per person left out (the ones scoring their walks highest)
CALIBRATION_SEED = 0
PRIOR_STRENGTH = 20  # a gait model's threshold counts as this many scores of each kind (chosen on engine_calib.npz)
DEFAULT_COSINE_THRESHOLD = 0.5
# 2: the average walker as a negative, shared-component centre, default threshold 0;
# 3: a calibrated threshold is shrunk toward the gait model's own one (PRIOR_STRENGTH);
# 4: blocks scored apart (``blocks``; intercepts (C, blocks))
CLASSIFIER_VERSION = 4
_BLOCK_FLOATS = 1 << 23  # margins computed per block (32 MB of float32)


@dataclass
class Model:
    """A fitted gallery classifier.

    ``mode`` is ``"svm"`` (two or more people), ``"cosine"`` (one person) or ``"empty"``.
    ``coef`` (C, D) and ``intercept`` (C, B) hold the per-person SVMs of the B ``blocks`` in
    ``"svm"`` mode (empty otherwise): block ``b``'s SVMs are ``coef[:, start:stop]`` and
    ``intercept[:, b]``, over the :func:`block_features` centred on ``center``. ``calibration``
    says how ``threshold`` was chosen.
    """

    mode: str
    coef: np.ndarray
    intercept: np.ndarray  # (C, B)
    threshold: float
    center: np.ndarray  # (D,) the shared components subtracted by :func:`block_features` ("svm" mode; zeros otherwise)
    calibration: dict = field(default_factory=dict)
    version: int = CLASSIFIER_VERSION
    blocks: tuple[tuple[int, int, float], ...] = ()  # (start, stop, weight) of each block; () for one block
    _unit: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.blocks:
            self.blocks = whole_vector(self.coef.shape[1])

    def unit_svms(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, c)`` (C, D) and (C,): the scores are ``block_features(probe) @ W.T + c``, the sum of
        the blocks' cosine-normalised SVM decision values, each times its weight (cached)."""
        if self._unit is None:
            coef = np.zeros_like(self.coef)
            intercept = np.zeros(len(self.coef), np.float32)
            for b, (start, stop, weight) in enumerate(self.blocks):
                norms = _norms(self.coef[:, start:stop])
                coef[:, start:stop] = weight * self.coef[:, start:stop] / norms[:, None]
                intercept += (weight * self.intercept[:, b] / norms).astype(np.float32)
            self._unit = (coef, intercept)
        return self._unit

    def to_dict(self) -> dict:
        """Plain types and arrays for the gallery file."""
        return {
            "mode": self.mode,
            "coef": self.coef,
            "intercept": self.intercept,
            "threshold": float(self.threshold),
            "center": self.center,
            "calibration": dict(self.calibration),
            "version": self.version,
            "blocks": [[int(start), int(stop), float(weight)] for start, stop, weight in self.blocks],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Model":
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on a malformed record."""
        mode = data["mode"]
        coef = np.asarray(data["coef"], dtype=np.float32)
        intercept = np.asarray(data["intercept"], dtype=np.float32)
        center = np.asarray(data["center"], dtype=np.float32)
        if mode not in ("svm", "cosine", "empty") or coef.ndim != 2 or center.shape != (coef.shape[1],):
            raise ValueError("malformed classifier record")
        blocks = check_blocks(data.get("blocks"), coef.shape[1])  # records before version 4: one block
        if intercept.ndim == 1:
            intercept = intercept[:, None]
        if intercept.shape != (coef.shape[0], len(blocks)):
            raise ValueError("malformed classifier record")
        return cls(mode, coef, intercept, float(data["threshold"]), center, dict(data["calibration"]), int(data["version"]), blocks)

    def reindexed(self, old_of_new: Sequence[int]) -> "Model":
        """The SVMs re-ordered to a new list of people; ``-1`` marks a new person (zero row)."""
        old = np.asarray(old_of_new, dtype=np.int64)
        coef = np.zeros((len(old), self.coef.shape[1]), dtype=np.float32)
        intercept = np.zeros((len(old), self.intercept.shape[1]), dtype=np.float32)
        if self.mode == "svm":
            kept = old >= 0
            coef[kept] = self.coef[old[kept]]
            intercept[kept] = self.intercept[old[kept]]
        return Model(self.mode, coef, intercept, self.threshold, self.center, self.calibration, self.version, self.blocks)


def whole_vector(dim: int) -> tuple[tuple[int, int, float], ...]:
    """One block: the whole vector, scored by one SVM per person."""
    return ((0, int(dim), 1.0),)


def check_blocks(blocks, dim: int) -> tuple[tuple[int, int, float], ...]:
    """``blocks`` as ``((start, stop, weight), ...)``: consecutive, covering ``0..dim``, whole-number
    edges, weights > 0 (none under a millionth of the largest) scaled to sum to 1; None or empty: the
    whole vector. ``ValueError`` otherwise (strings and booleans are refused, not converted)."""
    if blocks is None or (isinstance(blocks, (list, tuple)) and not blocks):
        return whole_vector(dim)

    def edge(value) -> int:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise ValueError
        return int(value)

    def positive(value) -> float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError
        return float(value)

    try:
        if not isinstance(blocks, (list, tuple)):
            raise ValueError
        parsed = [(edge(start), edge(stop), positive(w)) for start, stop, w in blocks]
    except (TypeError, ValueError):
        raise ValueError(f"blocks must be (start, stop, weight) triples of whole numbers and a weight, got {blocks!r}") from None
    edges = [start for start, _, _ in parsed] + [parsed[-1][1]]
    weights = np.array([w for _, _, w in parsed])
    if (edges[0] != 0 or edges[-1] != dim or any(stop <= start for start, stop, _ in parsed)
            or any(parsed[k][1] != parsed[k + 1][0] for k in range(len(parsed) - 1))
            or not np.all(np.isfinite(weights)) or np.any(weights <= 0) or weights.min() < 1e-6 * weights.max()):  # fmt: skip
        raise ValueError(f"blocks must cover the {dim} dimensions in order with weights > 0, got {blocks!r}")
    weights = weights / weights.sum()
    return tuple((start, stop, float(w)) for (start, stop, _), w in zip(parsed, weights))


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); a zero row raises ``ValueError``.

    Rows whose float32 length overflows or underflows (values near 3e38 or 1e-20) are scaled in
    float64, so any finite non-zero row comes out as its direction.
    """
    array = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    with np.errstate(over="ignore", under="ignore"):
        norms = np.linalg.norm(array, axis=1, keepdims=True)
    odd = ~np.isfinite(norms[:, 0]) | (norms[:, 0] <= 1e-12)
    if not odd.any():
        return array / norms
    wide = array[odd].astype(np.float64)
    wide_norms = np.linalg.norm(wide, axis=1, keepdims=True)
    if np.any(wide_norms == 0) or not np.all(np.isfinite(wide_norms)):
        raise ValueError("an identification vector is all zeros or not finite")
    out = array / np.where(odd[:, None], 1.0, norms)
    out[odd] = (wide / wide_norms).astype(np.float32)
    return out


def common_component(vectors: np.ndarray) -> np.ndarray:
    """What the walks' unit vectors share: their mean ``m`` shrunk by how much they agree.

    For unit vectors ``v_i = a u + (independent parts)`` the mean pairwise cosine ``c`` estimates
    ``a^2``, while ``|m|^2`` is about ``a^2 + (1 - a^2) / n``; the estimate is ``m c / |m|^2``
    (``c`` clipped to [0, 1]). Vectors of one strong shared direction (a network's raw output,
    all pairs at cosine 0.99) give nearly ``m``; vectors already centred on a background
    population (a gait model with a discriminant head) give nearly zero, where ``m`` of a few
    walks would be mostly the walks themselves and centring on it would erase them.
    """
    unit = normalise(vectors)
    n = len(unit)
    mean = unit.mean(axis=0)
    power = float(mean @ mean)
    if n < 2 or power <= 1e-12:
        return np.zeros(unit.shape[1], np.float32)
    agreement = min(max((n * power - 1.0) / (n - 1.0), 0.0), 1.0)  # mean pairwise cosine
    return (mean * (agreement / power)).astype(np.float32)


def features(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    """What the SVMs see: the L2-normalised ``vectors`` minus ``center``, L2-normalised again.

    A vector at the centre itself (nothing to tell it apart) stays all zeros.
    """
    centred = normalise(vectors) - center
    return centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-6)


def block_features(vectors: np.ndarray, center: np.ndarray, blocks: tuple[tuple[int, int, float], ...]) -> np.ndarray:
    """:func:`features` of each block apart, side by side (N, D); one block: :func:`features`.

    A block that is all zeros in a walk (nothing of it measured) stays all zeros there."""
    if len(blocks) == 1:
        return features(vectors, center)
    array = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    parts = []
    for start, stop, _ in blocks:
        unit = _unit_rows(array[:, start:stop])
        centred = np.where(np.any(unit != 0, axis=1, keepdims=True), unit - center[start:stop], 0.0)
        parts.append(centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-6))
    return np.concatenate(parts, axis=1).astype(np.float32)


def block_centers(vectors: np.ndarray, blocks: tuple[tuple[int, int, float], ...]) -> np.ndarray:
    """:func:`common_component` of each block apart (D,); one block: of the whole vector."""
    if len(blocks) == 1:
        return common_component(vectors)
    array = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    parts = []
    for start, stop, _ in blocks:
        unit = _unit_rows(array[:, start:stop])
        unit = unit[np.any(unit != 0, axis=1)]
        parts.append(common_component(unit) if len(unit) else np.zeros(stop - start, np.float32))
    return np.concatenate(parts).astype(np.float32)


def _unit_rows(array: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); an all-zero row stays zero."""
    wide = np.asarray(array, dtype=np.float64)
    norms = np.linalg.norm(wide, axis=1, keepdims=True)
    return np.where(norms > 0, wide / np.where(norms > 0, norms, 1.0), 0.0).astype(np.float32)


def fit(
    vectors: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    *,
    previous: Model | None = None,
    changed: Sequence[int] = (),
    touched: np.ndarray | None = None,
    default_threshold: float | None = None,
    blocks=None,
) -> Model:
    """Fit (or update) the classifier of a gallery and calibrate its threshold.

    ``vectors`` (N, D) and ``labels`` (N,) in ``0..n_classes-1`` are the whole gallery after
    the change. For an incremental update pass ``previous`` (already :meth:`Model.reindexed`
    to the new people), the people whose own walks changed (``changed``) and the walks added
    or removed (``touched``, (M, D)); everything else is left to the exactness rule above.
    ``default_threshold`` is the gait model's threshold for when there is nothing to calibrate on
    (the default: 0, the SVMs' own decision); ``blocks`` the gait model's blocks to score apart
    (:func:`check_blocks`; None: the whole vector).
    """
    labels = np.asarray(labels, dtype=np.int64)
    dim = vectors.shape[1]
    blocks = check_blocks(blocks, dim)
    none = (np.zeros((0, dim), np.float32), np.zeros((0, len(blocks)), np.float32))
    if n_classes == 0:
        return Model("empty", *none, 0.0, np.zeros(dim, np.float32),
                     {"source": "default", "reason": "empty gallery"}, blocks=blocks)
    if n_classes == 1:
        return Model("cosine", *none, DEFAULT_COSINE_THRESHOLD, np.zeros(dim, np.float32),
                     {"source": "default", "reason": "one person: no impostors to calibrate against"}, blocks=blocks)

    incremental = (
        previous is not None
        and previous.mode == "svm"
        and previous.version == CLASSIFIER_VERSION
        and previous.blocks == blocks
        and previous.coef.shape == (n_classes, dim)
        and n_classes * len(vectors) > FULL_REFIT_MAX
    )
    if incremental:
        center = previous.center
        coef, intercept = previous.coef.copy(), previous.intercept.copy()
    else:  # a full refit, re-centred
        center = block_centers(vectors, blocks)
        coef = np.zeros((n_classes, dim), np.float32)
        intercept = np.zeros((n_classes, len(blocks)), np.float32)
    X = block_features(vectors, center, blocks)
    touched_features = block_features(touched, center, blocks) if incremental and touched is not None and len(touched) else None
    refit_people = 0
    for b, (start, stop, _) in enumerate(blocks):
        if incremental:
            refit = set(int(c) for c in changed)
            if touched_features is not None:
                margins = touched_features[:, start:stop] @ coef[:, start:stop].T + intercept[:, b]
                refit |= set(np.flatnonzero(margins.max(axis=0) > -1.0 - MARGIN_TOL).tolist())
            warm = np.linalg.norm(coef[:, start:stop], axis=1) > 0
            jobs = [_Job(c, None, (coef[c, start:stop], float(intercept[c, b])) if warm[c] else None) for c in sorted(refit)]
        else:
            jobs = [_Job(c, None, None) for c in range(n_classes)]
        for job, (w, bias) in zip(jobs, _solve(X[:, start:stop], labels, jobs)):
            coef[job.cls, start:stop], intercept[job.cls, b] = w, bias
        refit_people = max(refit_people, len(jobs))

    threshold, calibration = calibrate(X, labels, n_classes, coef, intercept, default_threshold, blocks)
    calibration["refit_people"] = refit_people
    return Model("svm", coef, intercept, threshold, center, calibration, blocks=blocks)


def scores(model: Model, vectors: np.ndarray, labels: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """Scores (P, C) of ``probes`` against every person (see the module doc)."""
    if model.mode == "svm":
        unit_coef, unit_intercept = model.unit_svms()
        return block_features(probes, model.center, model.blocks) @ unit_coef.T + unit_intercept
    if model.mode == "cosine":
        similarity = normalise(probes) @ normalise(vectors).T
        n_classes = int(labels.max()) + 1
        return np.stack([similarity[:, labels == c].max(axis=1) for c in range(n_classes)], axis=1)
    raise ValueError("the gallery is empty")


def calibrate(
    X: np.ndarray, labels: np.ndarray, n_classes: int, coef: np.ndarray, intercept: np.ndarray, default: float | None = None,
    blocks=None,
) -> tuple[float, dict]:
    """The open-set threshold of an SVM gallery over its :func:`block_features` ``X``, and how it was found.

    Every left-out score is the weighted sum of the blocks' scores, each block's SVMs refit as
    the module doc says."""
    blocks = check_blocks(blocks, X.shape[1])
    rng = np.random.default_rng(CALIBRATION_SEED)
    people = np.arange(n_classes) if n_classes <= CALIBRATION_PEOPLE else np.sort(
        rng.choice(n_classes, CALIBRATION_PEOPLE, replace=False))
    walk_lists = [np.flatnonzero(labels == person) for person in people]
    left_out = []  # (person, walk) whose genuine score is measured
    for person, walks in zip(people, walk_lists):
        if len(walks) >= 2:
            chosen = np.arange(len(walks)) if len(walks) <= CALIBRATION_WALKS else rng.choice(len(walks), CALIBRATION_WALKS, replace=False)
            left_out += [(int(person), int(walks[k])) for k in chosen]
    genuine_scores = np.zeros(len(left_out))
    impostor_tables = [np.zeros((len(walks), n_classes)) for walks in walk_lists] if n_classes >= 3 else []
    refits = 0
    for b, (start, stop, weight) in enumerate(blocks):
        genuine, tables, jobs = _left_out_scores(X[:, start:stop], labels, n_classes, coef[:, start:stop], intercept[:, b],
                                                 people, walk_lists, left_out)
        genuine_scores += weight * genuine
        for total, table in zip(impostor_tables, tables):
            total += weight * table
        refits += jobs
    impostor_scores = np.concatenate([table.max(axis=1) for table in impostor_tables]) if impostor_tables else np.zeros(0)

    info = {"people": int(len(people)), "genuine": len(genuine_scores), "impostor": len(impostor_scores),
            "refits": refits}
    if len(genuine_scores) == 0 or len(impostor_scores) == 0:
        reason = "fewer than three people" if len(impostor_scores) == 0 else "nobody has two walks"
        if default is not None:
            return float(default), {**info, "source": "default (the gait model's one-walk threshold)", "reason": reason}
        return 0.0, {**info, "source": "default (the SVMs' own decision)", "reason": reason}
    threshold = measured = min_error_threshold(genuine_scores, impostor_scores)
    info["source"] = "calibrated"
    if default is not None:  # a small gallery's own estimate is noisy: shrink it toward the model's
        scores_each = min(len(genuine_scores), len(impostor_scores))
        weight = scores_each / (scores_each + PRIOR_STRENGTH)
        threshold = weight * measured + (1.0 - weight) * float(default)
        info.update(source="calibrated, shrunk toward the gait model's threshold", measured=measured,
                    prior=float(default), weight=float(weight))  # fmt: skip
    info.update(
        frr=float(np.mean(genuine_scores < threshold)),
        far=float(np.mean(impostor_scores >= threshold)),
        genuine_min=float(genuine_scores.min()),
        impostor_max=float(impostor_scores.max()),
    )
    return threshold, info


def _left_out_scores(X, labels, n_classes, coef, intercept, people, walk_lists, left_out):
    """One block's scores for :func:`calibrate`: the genuine score of each ``(person, walk)`` of
    ``left_out`` (the person's SVM refit without the walk), and per person of ``people`` the
    table (their walks, everyone) of their walks' scores with the person left out (their own
    column ``-inf``); also how many SVMs were refit."""
    norms = _norms(coef)
    genuine = np.zeros(len(left_out))
    tables: list[np.ndarray] = []
    # Scores that need a refit wait for one batched solve of all the refits.
    jobs: list[_Job] = []
    pending_genuine: list[tuple[int, int, int]] = []  # (slot, job index, walk)
    pending_impostor: list[tuple[int, np.ndarray, np.ndarray, int]] = []  # (table, walks, refit columns, first job)
    bounds = np.cumsum([0] + [len(walks) for walks in walk_lists])
    all_margins = X[np.concatenate(walk_lists)] @ coef.T + intercept  # (sampled walks, people)
    position = {person: i for i, person in enumerate(people)}
    row_of = {int(walk): k for walks in walk_lists for k, walk in enumerate(walks)}
    # genuine: leave one walk out. A walk outside its own margin (>= 1) is not a support
    # vector, so leaving it out changes nothing and its score needs no refit.
    for slot, (person, walk) in enumerate(left_out):
        i = position[person]
        margin = all_margins[bounds[i] + row_of[walk], person]
        if margin >= 1.0 + MARGIN_TOL:
            genuine[slot] = margin / norms[person]
        else:
            pending_genuine.append((slot, len(jobs), walk))
            jobs.append(_Job(int(person), np.array([walk]), (coef[person], float(intercept[person]))))
    # impostor: leave the whole person out; refit the best-scoring SVMs their walks supported
    if n_classes >= 3:
        for i, (person, walks) in enumerate(zip(people, walk_lists)):
            margins = all_margins[bounds[i] : bounds[i + 1]]
            table = margins / norms  # a new array: the refit scores go in below
            table[:, person] = -np.inf
            best = margins.max(axis=0)
            best[person] = -np.inf
            supported = np.flatnonzero(best > -1.0 - MARGIN_TOL)
            supported = supported[np.argsort(-best[supported], kind="stable")[:IMPOSTOR_REFITS]]
            pending_impostor.append((len(tables), walks, supported, len(jobs)))
            tables.append(table)
            jobs.extend(_Job(int(c), walks, (coef[c], float(intercept[c]))) for c in supported)
    solved = _solve(X, labels, jobs)
    for slot, job, walk in pending_genuine:
        w, b = solved[job]
        genuine[slot] = float((X[walk] @ w + b) / _norms(w))
    for index, walks, supported, first_job in pending_impostor:
        for offset, column in enumerate(supported):
            w, b = solved[first_job + offset]
            tables[index][:, column] = (X[walks] @ w + b) / _norms(w)
    return genuine, tables, len(jobs)


def min_error_threshold(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """The threshold minimising FAR + FRR (accept when ``score >= threshold``).

    Candidates are the midpoints between consecutive distinct scores (plus one below and one
    above all of them); among equally good candidates the middle one is taken.
    """
    values = np.unique(np.concatenate([genuine, impostor]))
    candidates = np.concatenate([[values[0] - 1e-3], (values[1:] + values[:-1]) / 2, [values[-1] + 1e-3]])
    frr = (genuine[None, :] < candidates[:, None]).mean(axis=1)
    far = (impostor[None, :] >= candidates[:, None]).mean(axis=1)
    error = frr + far
    best = np.flatnonzero(error <= error.min() + 1e-12)
    return float(candidates[best[len(best) // 2]])


@dataclass
class _Job:
    """One binary SVM to solve: person ``cls`` vs the rest, without the walks ``excluded``."""

    cls: int
    excluded: np.ndarray | None
    warm: tuple[np.ndarray, float] | None  # an earlier solution, to pick the first working set


def _solve(X: np.ndarray, labels: np.ndarray, jobs: list[_Job]) -> list[tuple[np.ndarray, float]]:
    """Solve every job exactly by working sets checked against the whole gallery."""
    if not jobs:
        return []
    n = len(X)
    positives, negatives = [], []
    for job in jobs:
        keep = np.ones(n, dtype=bool)
        if job.excluded is not None:
            keep[job.excluded] = False
        own = labels == job.cls
        positives.append(np.flatnonzero(own & keep))
        negatives.append(keep & ~own)

    # First working set: the negatives scored highest by the class mean (INITIAL_NEGATIVES of
    # them) or by the warm SVM (a quarter more than it had inside its margin, plus
    # WARM_EXTRA_NEGATIVES: the new solution is close to the old one).
    directions = np.stack([job.warm[0] if job.warm else X[pos].mean(axis=0) for job, pos in zip(jobs, positives)])
    offsets = np.array([job.warm[1] if job.warm else 0.0 for job in jobs], dtype=np.float32)
    active: list[np.ndarray] = [None] * len(jobs)  # type: ignore[list-item]
    for j, column in _margin_columns(X, directions, offsets, range(len(jobs))):
        candidates = np.flatnonzero(negatives[j])
        scores = column[candidates]
        size = INITIAL_NEGATIVES
        if jobs[j].warm:
            size = int(1.25 * np.count_nonzero(scores > -1.0 - MARGIN_TOL)) + WARM_EXTRA_NEGATIVES
        if len(candidates) > size:
            candidates = np.sort(candidates[np.argpartition(-scores, size - 1)[:size]])
        active[j] = candidates

    results: list[tuple[np.ndarray, float]] = [None] * len(jobs)  # type: ignore[list-item]
    pending = list(range(len(jobs)))
    while pending:
        for j in pending:
            results[j] = _fit_binary(X[positives[j]], X[active[j]])
        weights = np.stack([results[j][0] for j in pending])
        biases = np.array([results[j][1] for j in pending], dtype=np.float32)
        still = []
        for slot, column in _margin_columns(X, weights, biases, range(len(pending))):
            j = pending[slot]
            outside = negatives[j].copy()
            outside[active[j]] = False
            violators = np.flatnonzero(outside & (column > -1.0 + MARGIN_TOL))
            if len(violators):
                active[j] = np.union1d(active[j], violators)
                still.append(j)
        pending = still
    return results


def _norms(weights: np.ndarray) -> np.ndarray:
    """Lengths of SVM weight vectors (rows), kept away from zero (two people with identical walks)."""
    return np.maximum(np.linalg.norm(weights, axis=-1), 1e-12)


def _margin_columns(X: np.ndarray, weights: np.ndarray, biases: np.ndarray, slots):
    """Yield ``(slot, X @ weights[slot] + biases[slot])``, computed a block of slots at a time."""
    slots = list(slots)
    per_block = max(1, _BLOCK_FLOATS // max(1, len(X)))
    for start in range(0, len(slots), per_block):
        block = slots[start : start + per_block]
        margins = X @ np.asarray(weights[block], dtype=np.float32).T + biases[block]
        for k, slot in enumerate(block):
            yield slot, margins[:, k]


def _fit_binary(positives: np.ndarray, negatives: np.ndarray) -> tuple[np.ndarray, float]:
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    # the average walker (the origin of the centred features) is a negative of every person
    data = np.concatenate([positives, negatives, np.zeros((1, positives.shape[1]))]).astype(np.float64)
    target = np.concatenate([np.ones(len(positives)), -np.ones(len(negatives) + 1)])
    svm = LinearSVC(C=SVM_C, loss="squared_hinge", dual=True, tol=1e-4, max_iter=5000, random_state=0)
    # Thousands of small fits: skip scikit-learn's per-call checks (inputs are ours and finite).
    with warnings.catch_warnings(), sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
        # Rarely, a nearly degenerate working set stops at max_iter; the scores stay usable.
        warnings.simplefilter("ignore", ConvergenceWarning)
        svm.fit(data, target)
    return svm.coef_[0].astype(np.float32), float(svm.intercept_[0])
