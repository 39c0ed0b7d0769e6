"""A gait checkpoint's discriminant head: gait-network vector + walk statistics -> identification vector.

The gait network's vector of a walk (average temporal pooling of the recurrent output) and the
walk's statistics (:mod:`gaitcli.features.walk_statistics`) are standardised and concatenated,
the gait block weighted by ``gait_weight``, and projected onto the leading linear discriminants
(Fisher's LDA with a shrunk within-person covariance) fitted on walks of many background people. The
projection keeps the directions along which *people* differ and drops those along which one
person's walks differ (view, speed, clothes, the pose engine's errors); the result (the background people's mean maps to zero) scaled to unit length is the
identification vector.

**Input blocks** (``walk-discriminant-v2``): the discriminants are fitted on synthetic people,
and on real people the plain statistics of body proportion and posture, and the network's own
vector, carry identity that the projection drops. A v2 head therefore appends its two inputs
themselves, each standardised by the mean and spread of a background population (``block_mean``,
``block_scale``) and scaled to unit length, as blocks of their own: the identification vector is
``[w_d * discriminants, w_s * statistics, w_g * gait vector]`` with ``block_weights`` ``(w_d, w_s,
w_g)`` of unit length (equal by default: not tuned), so the gallery's SVMs can use whichever real
differences matter.

**Arms apart** (``walk-discriminant-v3``): hands and forearms are what a bag, a phone call,
texting or a pocket takes over, and on such walks they say little about who walks. A v3 head
names those ``arm_joints`` (the elbows and wrists), whose statistics form a block of their own,
so the vector is ``[w_d * discriminants, w_b * body statistics, w_a * arm statistics, w_g * gait
vector]`` with four ``block_weights`` (by default the arms count half). The dimensions are those
of v2, in another order.

**Walks toward or away from the camera** (``walk-discriminant-v4``): a head (with or without
blocks and arms, as its keys say) whose inputs, for a walk that hardly crosses the image, are
averaged with the walk's mirror image's, so that its vector does not depend on which way the
walker faces; ``axial_mirror`` holds the two speeds across the image that say how much
(:mod:`gaitcli.gait.head_inputs`). Its arrays are those of the head it extends.

**Body proportions** (``walk-discriminant-v5``): a head with blocks (and arms) whose vector ends
with a fifth block, the walk's body proportions (:mod:`gaitcli.features.proportions`: limb, trunk
and head lengths as fractions of height), standardised by the background population's mean and
spread (``proportion_mean``, ``proportion_scale``) and scaled to unit length; ``block_weights``
then has five weights. Bones do not change with pace, clothes or a bag; on real people they are
what the statistics hold only mixed with posture and motion. ``apply`` takes them as a third input.

**Blocks scored apart** (any head with blocks, ``block_scoring``): the gallery fits one SVM per
block and sums their scores with the blocks' weights (:mod:`gaitcli.gallery.classifier`) instead
of one SVM over the whole vector, which leans on whichever block separates the enrolled walks
best: the discriminants, fitted on synthetic people, do that on synthetic walks and much less on
real ones. :meth:`DiscriminantHead.score_blocks` gives the layout. The vector is unchanged.

Fitting is deterministic (no random state): :func:`fit_head`. The head's numbers are stored
in the checkpoint beside the network's weights and covered by its fingerprint
(:mod:`gaitcli.gait.checkpoint`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from gaitcli.constants import NUM_JOINTS, PELVIS, THORAX

HEAD_KIND = "walk-discriminant-v1"
HEAD_KIND_BLOCK = "walk-discriminant-v2"  # v1 + its standardised inputs as blocks of their own
HEAD_KIND_ARMS = "walk-discriminant-v3"  # v2 with the arms' statistics a block of their own
HEAD_KIND_AXIAL = "walk-discriminant-v4"  # v1-v3 whose inputs are mirror-averaged for walks toward/away from the camera
HEAD_KIND_PROPORTIONS = "walk-discriminant-v5"  # v2-v4 + the body proportions as a fifth block
HEAD_KINDS = (HEAD_KIND, HEAD_KIND_BLOCK, HEAD_KIND_ARMS, HEAD_KIND_AXIAL, HEAD_KIND_PROPORTIONS)
#: ``block_scoring``: one SVM per block, the blocks' cosine-normalised scores summed with their weights
BLOCK_SCORING_APART = "per-block-svm-sum-v1"
ARRAY_NAMES = ("mean", "scale", "projection")
BLOCK_ARRAY_NAMES = ("block_mean", "block_scale")
PROPORTION_ARRAY_NAMES = ("proportion_mean", "proportion_scale")
PREFIX = "head/"


@dataclass(frozen=True, eq=False)
class DiscriminantHead:
    """Standardisation (``mean``, ``scale``, gait weight folded in) and ``projection``.

    Inputs are ``[statistics (statistics_size), gait vector (gait_size)]``.
    """

    statistics: str  # the walk-statistics version the head was fitted on
    statistics_size: int
    gait_size: int
    gait_weight: float
    shrinkage: float
    mean: np.ndarray  # (P,)
    scale: np.ndarray  # (P,)
    projection: np.ndarray  # (P, K)
    #: The open-set threshold for galleries with one walk per person, measured on held-out
    #: people when the head was fitted (:func:`gaitcli.training.head.one_walk_threshold`); None: not measured.
    open_set_threshold: float | None = None
    #: The input blocks (v2): the background population's mean and spread of the inputs
    #: ``[statistics, gait vector]``, the weights of the blocks (three, or four with arms), and where the population
    #: came from; None: no blocks (v1).
    block_mean: np.ndarray | None = None  # (statistics_size + gait_size,)
    block_scale: np.ndarray | None = None  # (statistics_size + gait_size,)
    block_weights: tuple[float, ...] = (1.0, 0.0, 0.0)  # v2: 3 weights; v3: 4 (see the module docstring)
    block_population: str | None = None
    #: v3: the joints whose statistics form their own block (seed indices)
    arm_joints: tuple[int, ...] = ()
    #: v4: below the first of these speeds across the image (torso lengths per second) a walk's
    #: inputs are half its mirror image's, above the second none (:mod:`gaitcli.gait.head_inputs`)
    axial_mirror: tuple[float, float] | None = None
    #: v5: the body-proportions version, and its background population's mean and spread
    proportions: str | None = None
    proportion_mean: np.ndarray | None = None  # (proportions_size,)
    proportion_scale: np.ndarray | None = None  # (proportions_size,)
    #: How a gallery scores a vector with blocks: None, one SVM over the whole vector;
    #: :data:`BLOCK_SCORING_APART`, one per block (:meth:`score_blocks`)
    block_scoring: str | None = None

    @property
    def has_block(self) -> bool:
        return self.block_mean is not None

    @property
    def proportions_size(self) -> int:
        return 0 if self.proportion_mean is None else len(self.proportion_mean)

    @property
    def discriminants(self) -> int:
        return int(self.projection.shape[1])

    @property
    def output_size(self) -> int:
        return self.discriminants + (self.statistics_size + self.gait_size if self.has_block else 0) + self.proportions_size

    def _statistics_blocks(self, standardised: np.ndarray) -> list[np.ndarray]:
        stats = standardised[:, : self.statistics_size]
        if not self.arm_joints:
            return [stats]
        from gaitcli.features.walk_statistics import joint_columns

        arms = joint_columns(self.arm_joints, self.statistics_size)
        return [stats[:, ~arms], stats[:, arms]]

    def score_blocks(self) -> tuple[tuple[int, int, float], ...] | None:
        """``(start, stop, weight)`` of each block of the vector, the weights summing to 1, when the
        gallery is to score the blocks apart (``block_scoring``); None: one SVM over the whole vector."""
        if not self.has_block or self.block_scoring is None:
            return None
        sizes = [self.discriminants]
        if self.arm_joints:
            from gaitcli.features.walk_statistics import joint_columns

            arms = int(joint_columns(self.arm_joints, self.statistics_size).sum())
            sizes += [self.statistics_size - arms, arms]
        else:
            sizes.append(self.statistics_size)
        sizes.append(self.gait_size)
        if self.proportions:
            sizes.append(self.proportions_size)
        edges = np.cumsum([0] + sizes)
        total = float(sum(self.block_weights))
        return tuple((int(edges[k]), int(edges[k + 1]), float(w) / total) for k, w in enumerate(self.block_weights))

    def with_block_scoring(self, scoring: str | None) -> "DiscriminantHead":
        """This head with its blocks scored apart (:data:`BLOCK_SCORING_APART`) or together (None).
        The open-set threshold, measured in the other scores, is dropped."""
        if scoring not in (None, BLOCK_SCORING_APART):
            raise ValueError(f"unknown block scoring {scoring!r}")
        if scoring is not None and not (self.has_block and all(w > 0 for w in self.block_weights)):
            raise ValueError("scoring blocks apart needs input blocks, every one weighted above 0")
        return replace(self, block_scoring=scoring, open_set_threshold=None)

    def describe(self) -> str:
        block = f" + input blocks {self.statistics_size} + {self.gait_size}" if self.has_block else ""
        if self.arm_joints:
            block += f" (the statistics of joints {list(self.arm_joints)} a block of their own)"
        if self.proportions:
            block += f" + {self.proportions_size} body proportions"
        if self.axial_mirror is not None:
            block += f", mirror-averaged below {self.axial_mirror[1]:g} torso lengths/s across the image"
        if self.block_scoring:
            block += ", blocks scored apart"
        return f"discriminant head {self.discriminants} ({self.statistics} + gait x {self.gait_weight:g}){block}"

    def meta(self) -> dict[str, Any]:
        """The head's JSON part of the checkpoint's metadata."""
        block = {"block_weights": list(self.block_weights), "block_population": self.block_population} if self.has_block else {}
        if self.arm_joints:
            block["arm_joints"] = list(self.arm_joints)
        kind = (HEAD_KIND_ARMS if self.arm_joints else HEAD_KIND_BLOCK) if self.has_block else HEAD_KIND
        if self.axial_mirror is not None:
            kind, block["axial_mirror"] = HEAD_KIND_AXIAL, list(self.axial_mirror)
        if self.proportions:
            kind = HEAD_KIND_PROPORTIONS
            block.update(proportions=self.proportions, proportions_size=self.proportions_size)
        if self.block_scoring:
            block["block_scoring"] = self.block_scoring
        return {
            "kind": kind,
            "statistics": self.statistics,
            "statistics_size": self.statistics_size,
            "gait_size": self.gait_size,
            "gait_weight": self.gait_weight,
            "shrinkage": self.shrinkage,
            "output_size": self.discriminants,
            **block,
            **({"open_set_threshold": self.open_set_threshold} if self.open_set_threshold is not None else {}),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """The head's arrays as stored in the checkpoint (``head/mean``, ...), float32."""
        names = ARRAY_NAMES + (BLOCK_ARRAY_NAMES if self.has_block else ()) + (PROPORTION_ARRAY_NAMES if self.proportions else ())
        return {PREFIX + name: np.ascontiguousarray(getattr(self, name), dtype=np.float32) for name in names}

    @staticmethod
    def array_shapes(meta: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
        inputs = int(meta["statistics_size"]) + int(meta["gait_size"])
        out = int(meta["output_size"])
        shapes = {PREFIX + "mean": (inputs,), PREFIX + "scale": (inputs,), PREFIX + "projection": (inputs, out)}
        if _has_blocks(meta):
            shapes.update({PREFIX + name: (inputs,) for name in BLOCK_ARRAY_NAMES})
        if meta.get("kind") == HEAD_KIND_PROPORTIONS:
            shapes.update({PREFIX + name: (int(meta["proportions_size"]),) for name in PROPORTION_ARRAY_NAMES})
        return shapes

    @classmethod
    def from_stored(cls, meta: Any, arrays: Mapping[str, np.ndarray]) -> "DiscriminantHead":
        """Rebuild from :meth:`meta` and :meth:`arrays`; ``ValueError`` on anything malformed."""
        if not isinstance(meta, Mapping) or meta.get("kind") not in HEAD_KINDS:
            raise ValueError(f"unknown head kind {meta.get('kind') if isinstance(meta, Mapping) else meta!r}")
        try:
            shapes = cls.array_shapes(meta)
            numbers = {k: float(meta[k]) for k in ("gait_weight", "shrinkage")}
            threshold = None if meta.get("open_set_threshold") is None else float(meta["open_set_threshold"])
            block = _has_blocks(meta)
            weights = tuple(float(w) for w in meta["block_weights"]) if block else (1.0, 0.0, 0.0)
            kind = meta.get("kind")
            arms = kind == HEAD_KIND_ARMS or (kind in (HEAD_KIND_AXIAL, HEAD_KIND_PROPORTIONS) and "arm_joints" in meta)
            arm_joints = tuple(int(j) for j in meta["arm_joints"]) if arms else ()
            axial_key = kind == HEAD_KIND_AXIAL or (kind == HEAD_KIND_PROPORTIONS and "axial_mirror" in meta)
            axial = tuple(float(v) for v in meta["axial_mirror"]) if axial_key else None
            proportions = str(meta["proportions"]) if kind == HEAD_KIND_PROPORTIONS else None
            scoring = None if meta.get("block_scoring") is None else str(meta["block_scoring"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed head metadata ({exc})") from None
        checked = {}
        for name, shape in shapes.items():
            if name not in arrays:
                raise ValueError(f"missing head array {name}")
            array = np.asarray(arrays[name])
            if array.shape != shape or not np.issubdtype(array.dtype, np.floating):
                raise ValueError(f"head array {name} is shaped {list(array.shape)}, expected {list(shape)}")
            checked[name[len(PREFIX):]] = np.ascontiguousarray(array, dtype=np.float32)
        if not all(math.isfinite(v) for v in numbers.values()) or not np.all(checked["scale"] > 0):
            raise ValueError("head numbers are not finite and positive")
        if block and not (_valid_weights(weights, arm_joints, proportions is not None) and np.all(checked["block_scale"] > 0)
                          and np.isfinite(checked["block_mean"]).all()):
            raise ValueError("the head's input blocks are not finite and positive")
        if proportions is not None and not (block and np.all(checked["proportion_scale"] > 0) and np.isfinite(checked["proportion_mean"]).all()):
            raise ValueError("the head's body-proportions block is not finite and positive, or has no input blocks beside it")
        if threshold is not None and not math.isfinite(threshold):
            raise ValueError("the head's open-set threshold is not finite")
        if scoring is not None and not (scoring == BLOCK_SCORING_APART and block and all(w > 0 for w in weights)):
            raise ValueError(f"the head's block scoring {scoring!r} is unknown or needs blocks weighted above 0")
        if axial is not None and not _valid_axial(axial):
            raise ValueError(f"the head's mirror-averaging speeds must be two increasing numbers >= 0; got {list(axial)}")
        if block:
            checked.update(block_weights=weights, block_population=str(meta.get("block_population")), arm_joints=arm_joints)
        return cls(str(meta.get("statistics")), int(meta["statistics_size"]), int(meta["gait_size"]), **numbers, **checked,
                   open_set_threshold=threshold, axial_mirror=axial, proportions=proportions, block_scoring=scoring)

    def with_blocks(self, mean: np.ndarray, scale: np.ndarray, weights, population: str, arm_joints=()) -> "DiscriminantHead":
        """This head with input blocks (see the module docstring), ``weights`` scaled to unit
        length: three (v2), or four with ``arm_joints`` (v3); the open-set threshold, measured in
        the old vector space, is dropped."""
        size = self.statistics_size + self.gait_size
        mean, scale = np.asarray(mean, np.float64), np.asarray(scale, np.float64)
        if mean.shape != (size,) or scale.shape != (size,) or not np.all(scale > 0):
            raise ValueError(f"input blocks need {size} means and positive scales")
        arm_joints = tuple(sorted(int(j) for j in arm_joints))
        w = _unit_weights(weights, 4 if arm_joints else 3)
        if not _valid_joints(arm_joints):
            raise ValueError(f"arm joints must be distinct joint indices other than the pelvis and thorax; got {arm_joints!r}")
        return replace(self, block_mean=mean.astype(np.float32), block_scale=scale.astype(np.float32), block_weights=w,
                       block_population=population, open_set_threshold=None, arm_joints=arm_joints,
                       proportions=None, proportion_mean=None, proportion_scale=None, block_scoring=None)

    def with_proportions(self, version: str, mean: np.ndarray, scale: np.ndarray, weights) -> "DiscriminantHead":
        """This head (with blocks) as a v5 one: the body proportions (``version``, standardised by
        ``mean`` and ``scale``) a block of their own at the end of the vector, and the blocks'
        ``weights`` now one more than before (the last the proportions'), scaled to unit length.
        The open-set threshold, measured in the old vector space, is dropped."""
        if not self.has_block:
            raise ValueError("body proportions are a block beside the input blocks; add those first")
        mean, scale = np.asarray(mean, np.float64), np.asarray(scale, np.float64)
        if mean.ndim != 1 or mean.shape != scale.shape or not len(mean) or not np.all(scale > 0) or not np.isfinite(mean).all():
            raise ValueError("body proportions need as many finite means as positive scales")
        w = _unit_weights(weights, (4 if self.arm_joints else 3) + 1)
        return replace(self, proportions=str(version), proportion_mean=mean.astype(np.float32),
                       proportion_scale=scale.astype(np.float32), block_weights=w, open_set_threshold=None)

    def with_axial_mirror(self, speeds) -> "DiscriminantHead":
        """This head as a v4 one: a walk slower across the image than ``speeds[1]`` torso lengths per
        second has its inputs averaged with its mirror image's (fully below ``speeds[0]``; see
        :mod:`gaitcli.gait.head_inputs`); None: the head without (v1-v3 again). The open-set
        threshold, measured on other inputs, is dropped."""
        if speeds is not None:
            speeds = tuple(float(v) for v in speeds)
            if not _valid_axial(speeds):
                raise ValueError(f"mirror-averaging needs two increasing speeds >= 0; got {speeds!r}")
        return replace(self, axial_mirror=speeds, open_set_threshold=None)

    def without_blocks(self) -> "DiscriminantHead":
        """The v1 head these blocks were added to (its threshold dropped with them)."""
        return replace(self, block_mean=None, block_scale=None, block_weights=(1.0, 0.0, 0.0), block_population=None,
                       open_set_threshold=None if self.has_block else self.open_set_threshold, arm_joints=(), axial_mirror=None,
                       proportions=None, proportion_mean=None, proportion_scale=None, block_scoring=None)

    def apply(self, statistics: np.ndarray, gait_vector: np.ndarray, proportions: np.ndarray | None = None) -> np.ndarray:
        """The unit identification vector (K,) of one walk; or (N, K) for stacked walks. A v5 head
        also needs the walks' body proportions (:func:`gaitcli.features.proportions.walk_proportions`);
        other heads ignore them."""
        if self.proportions and proportions is None:
            raise ValueError(f"this head takes the walk's body proportions ({self.proportions}) as well")
        x = np.concatenate([np.atleast_2d(statistics), np.atleast_2d(gait_vector)], axis=1)
        if x.shape[1] != len(self.mean):
            raise ValueError(
                f"the head takes {self.statistics_size} statistics + a {self.gait_size}-d gait vector, "
                f"got {np.atleast_2d(statistics).shape[1]} + {np.atleast_2d(gait_vector).shape[1]}"
            )
        z = ((x - self.mean) / self.scale) @ self.projection  # centred: the background mean maps to 0
        z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
        if self.has_block:
            b = (x - self.block_mean) / self.block_scale
            parts = [z, *self._statistics_blocks(b), b[:, self.statistics_size :]]
            if self.proportions:
                p = np.atleast_2d(np.asarray(proportions, dtype=np.float64))
                if p.shape != (len(x), self.proportions_size):
                    raise ValueError(f"the head takes {self.proportions_size} body proportions per walk, got {p.shape[-1]}")
                parts.append(np.nan_to_num((p - self.proportion_mean) / self.proportion_scale, nan=0.0))  # unmeasured: the mean
            z = np.concatenate([w * p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
                                for w, p in zip(self.block_weights, parts)], axis=1)
            short = np.linalg.norm(z, axis=1) < 1.0 - 1e-6  # a block with nothing measured (all zero): the rest to unit length
            z[short] /= np.maximum(np.linalg.norm(z[short], axis=1, keepdims=True), 1e-12)
        z = z.astype(np.float32)
        return z[0] if np.ndim(statistics) == 1 else z


def _unit_weights(weights, blocks: int) -> tuple[float, ...]:
    """``weights`` (``blocks`` numbers >= 0, not all 0) scaled to unit length; ValueError otherwise."""
    w = np.asarray(weights, np.float64)
    if w.shape != (blocks,) or not np.isfinite(w).all() or (w < 0).any() or not w.any():
        raise ValueError(f"block weights must be {blocks} numbers >= 0, not all 0; got {weights!r}")
    return tuple(float(v) for v in w / np.linalg.norm(w))


def _valid_weights(weights, arm_joints=(), proportions: bool = False) -> bool:
    return (len(weights) == (4 if arm_joints else 3) + int(proportions) and all(math.isfinite(w) and w >= 0 for w in weights)
            and abs(math.hypot(*weights) - 1.0) < 1e-4 and _valid_joints(arm_joints))


def _has_blocks(meta: Mapping[str, Any]) -> bool:
    kind = meta.get("kind")
    return kind in (HEAD_KIND_BLOCK, HEAD_KIND_ARMS, HEAD_KIND_PROPORTIONS) or (kind == HEAD_KIND_AXIAL and "block_weights" in meta)


def _valid_axial(speeds) -> bool:
    return len(speeds) == 2 and all(math.isfinite(v) for v in speeds) and 0.0 <= speeds[0] < speeds[1]


def _valid_joints(joints) -> bool:
    return (len(set(joints)) == len(joints) and all(0 <= j < NUM_JOINTS and j not in (PELVIS, THORAX) for j in joints)
            and len(joints) < NUM_JOINTS - 2)


def fit_head(
    statistics: np.ndarray,
    gait_vectors: np.ndarray,
    labels,
    *,
    statistics_version: str,
    gait_weight: float,
    shrinkage: float,
    output_size: int,
) -> DiscriminantHead:
    """Fit the head on walks of several people (at least two walks of at least two people).

    (``gaitcli train head`` passes the packaged model's choices, kept in
    :mod:`gaitcli.training.gait_config`.)

    ``shrinkage`` in [0, 1] pulls the within-person covariance towards a multiple of the
    identity (more for few walks per dimension); ``gait_weight`` >= 0 scales the gait block
    after standardisation (0 leaves it out of the discriminants); the ``output_size`` leading
    discriminants are kept (fewer if there are fewer people or inputs): the trailing ones
    separate people little and mostly add noise to the vectors' similarities.
    """
    stats = np.asarray(statistics, dtype=np.float64)
    gait = np.asarray(gait_vectors, dtype=np.float64)
    labels = np.asarray([str(v) for v in labels])
    if stats.ndim != 2 or gait.ndim != 2 or not (len(stats) == len(gait) == len(labels)):
        raise ValueError("statistics, gait vectors and labels must describe the same walks")
    if not 0.0 <= shrinkage <= 1.0:
        raise ValueError(f"shrinkage must lie in [0, 1], not {shrinkage}")
    if not (math.isfinite(gait_weight) and gait_weight >= 0.0):
        raise ValueError(f"gait weight must be >= 0, not {gait_weight}")
    people, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if len(people) < 2 or not (counts >= 2).any():
        raise ValueError(f"fitting a discriminant head needs several walks of several people; got {len(labels)} walks of {len(people)}")
    x = np.concatenate([stats, gait], axis=1)
    mean = x.mean(axis=0)
    sd = x.std(axis=0)
    sd = np.where(sd > 1e-9, sd, 1.0)
    weight = np.concatenate([np.ones(stats.shape[1]), np.full(gait.shape[1], gait_weight)])
    scale = sd / np.maximum(weight, 1e-12)
    xs = (x - mean) / scale
    xs[:, weight == 0] = 0.0
    class_means = np.stack([xs[inverse == k].mean(axis=0) for k in range(len(people))])
    within = xs - class_means[inverse]
    sw = within.T @ within / len(xs)
    sb = (class_means * counts[:, None]).T @ class_means / len(xs)  # the overall mean is 0
    dims = sw.shape[0]
    sw = (1.0 - shrinkage) * sw + shrinkage * (np.trace(sw) / dims) * np.eye(dims)
    sw += 1e-9 * np.eye(dims)  # keeps a zero-weight block solvable
    from scipy.linalg import eigh

    values, vectors = eigh(sb, sw)
    if output_size < 1:
        raise ValueError(f"output size must be positive, not {output_size}")
    keep = min(output_size, len(people) - 1, dims - int((weight == 0).sum()))
    order = np.argsort(values)[::-1][:keep]
    projection = vectors[:, order]
    projection *= np.sign(projection[np.argmax(np.abs(projection), axis=0), np.arange(keep)])  # fixed signs
    return DiscriminantHead(
        statistics=statistics_version,
        statistics_size=int(stats.shape[1]),
        gait_size=int(gait.shape[1]),
        gait_weight=float(gait_weight),
        shrinkage=float(shrinkage),
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        projection=projection.astype(np.float32),
    )
