"""The recipe of a gait training run: every default of ``gaitcli train gait`` lives here.

Kept free of NumPy and TensorFlow so that the CLI can show these defaults without importing
either (see :mod:`gaitcli.training.gait` for what each setting does).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gaitcli.constants import L_ELBOW, L_WRIST, R_ELBOW, R_WRIST, WINDOW_FRAMES
from gaitcli.gait.discriminant import BLOCK_SCORING_APART

#: The default model's widths: the seed's GaitNN narrowed about 4x for CPU training/inference.
DEFAULT_WIDTHS: dict[str, int] = {
    "stem": 64,
    "block8_channels": 128,
    "block8_inner": 32,
    "block4_channels": 128,
    "block4_inner": 48,
    "head_1x1": 64,
    "head_3x3": 64,
    "fc": 128,
    "rnn_units": 128,
}


def scaled_widths(scale: float) -> dict[str, int]:
    """:data:`DEFAULT_WIDTHS` times ``scale``, each capped at the seed's width (so ``4`` gives
    exactly the seed's GaitNN, ``0.5`` a network half as wide as the default)."""
    from gaitcli.gait.architecture import SEED_WIDTHS  # (imports NumPy: only when asked)

    if not scale > 0:
        raise ValueError(f"width scale must be positive, not {scale!r}")
    return {k: max(1, min(int(round(v * scale)), SEED_WIDTHS[k])) for k, v in DEFAULT_WIDTHS.items()}


@dataclass
class GaitTrainingConfig:
    """Everything that determines a training run (stored in the checkpoint)."""

    seed: int = 20261124
    train_identities: int = 640
    walks_per_identity: int = 4
    val_identities: int = 64
    val_walks_per_identity: int = 6
    recurrent_unit: str = "GRU"
    rnn_layers: int = 1
    widths: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WIDTHS))
    input_scale: float = 1.0  # joint maps are already in [0, 1]
    batch_identities: int = 16
    walks_per_batch_identity: int = 2
    window: int = WINDOW_FRAMES
    steps: int = 1500
    optimizer: str = "adam"  # or the seed's "rmsprop" (learnt no faster in short trials)
    learning_rate: float = 3e-4
    decay_steps: int = 1000
    decay_rate: float = 0.5
    clip_norm: float = 5.0
    cosine_scale: float = 16.0
    cosine_margin: float = 0.1
    triplet_weight: float = 0.3
    triplet_margin: float = 0.2
    joint_jitter: float = 0.01  # extra per-frame joint noise (torso lengths) during training
    include_mocap: bool = True  # mix in the real CMU walks of ../shared/data/mocap when present
    engine_walks: str | None = None  # walks run through the real pose engine (scripts/engine_walks.py) to mix in
    engine_val_walks: str | None = None  # ... and to validate on (other people), with the synthetic validation set
    engine_share: float | None = None  # share of each batch's people drawn from the engine walks (None: as many as they are)
    fresh_walks_per_step: int = 16  # synthetic training walks replaced by new walks of the same people each step
    eval_every: int = 100
    time_budget_minutes: float = 60.0


# `gaitcli train head`: the packaged model's head, chosen on the validation people (docs/training.md).
HEAD_GAIT_WEIGHT = 0.5  # weight of the network's vector beside the walk statistics
HEAD_SHRINKAGE = 0.2  # shrinkage of the within-person covariance
HEAD_DIMENSIONS = 24  # leading discriminants kept
HEAD_TRIALS = 300  # simulated one-walk galleries for the open-set threshold and for validation
#: The head's input blocks (``gaitcli train blocks``): the weights of discriminants, body
#: statistics, arm statistics and network vector (the arms, which bags, phones and pockets take
#: over, count half; the rest equal: not tuned), the arm joints (whose statistics are a block of
#: their own), and the synthetic background population whose inputs
#: standardise them (people x walks, drawn by ``gaitcli.synth.dataset.make_sequences`` with this
#: seed, cameras up to BLOCK_MAX_YAW_DEG from the side, the estimator's error model).
BLOCK_WEIGHTS = (1.0, 1.0, 0.5, 1.0)
BLOCK_ARM_JOINTS = (R_WRIST, R_ELBOW, L_ELBOW, L_WRIST)
#: The body proportions' block (heads ``walk-discriminant-v5``, gaitcli.features.proportions): a
#: block of its own at the end of the vector, weighted like the body statistics (not tuned);
#: None: no such block (a v4 head).
BLOCK_PROPORTION_WEIGHT = 1.0
BLOCK_SEED = 20261204
BLOCK_PEOPLE = 600
BLOCK_WALKS = 2
BLOCK_MAX_YAW_DEG = 90.0
#: Walks toward or away from the camera (heads ``walk-discriminant-v4``): below the first speed
#: across the image (torso lengths per second) a walk's head inputs are half its mirror image's,
#: above the second none (gaitcli.gait.head_inputs). A walk past a side camera crosses at about 1.8
#: (the slowest 5 % of the real side-view walks of the benchmark: 1.1-1.2), one toward the camera
#: at under 0.2: the speeds sit between, at round numbers (about 8 and 25 degrees off the camera's
#: axis at a usual pace), not tuned.
AXIAL_MIRROR = (0.25, 0.75)
#: Held-out synthetic people (other ids, same seed) on which the one-walk threshold is measured,
#: filmed up to BLOCK_THRESHOLD_MAX_YAW_DEG from the side as the head's own training walks (with
#: cameras anywhere, synthetic one-walk galleries separate people too little for a threshold:
#: minimising FAR + FRR then rejects almost everyone).
BLOCK_THRESHOLD_PEOPLE = 200
BLOCK_THRESHOLD_WALKS = 3
BLOCK_THRESHOLD_MAX_YAW_DEG = 30.0
#: The threshold is measured on plain walks only: a probe that carries a bag or wears a coat its
#: enrolment walk did not is a harder case, reported beside the threshold (docs/model-card.md), and
#: taking it as a genuine probe drags the threshold down for every walk (with one SVM over the
#: whole vector from -0.004 to -0.072 on engine_calib.npz), so that real strangers were named more often than at the FAR + FRR optimum
#: of real people's plain walks. Over BLOCK_THRESHOLD_TRIALS galleries (more than HEAD_TRIALS: the
#: plain walks are fewer; docs/experiments.md gives the spread over other draws of galleries).
BLOCK_THRESHOLD_PLAIN = True
#: How galleries score a model with blocks (DiscriminantHead.block_scoring): one SVM per person and
#: block, the blocks' scores summed with their weights (BLOCK_SCORING_APART; None: one SVM per person
#: over the whole vector, `gaitcli train blocks --blocks-together`). One SVM over the whole vector
#: leans on the block that best separates the enrolled walks: on synthetic people the
#: discriminants (fitted on such people), on real people much less so; apart, every block has its
#: say (docs/experiments.md#scoring-the-blocks-apart).
BLOCK_SCORING = BLOCK_SCORING_APART
BLOCK_THRESHOLD_TRIALS = 2000
#: The cross-view model (``gaitcli train cross-view``): the default model's network with a head of
#: the same recipe (HEAD_*) fitted on synthetic people each filmed from several sides: every one
#: of CROSS_VIEW_WALKS walks is seen by CROSS_VIEW_VIEWS cameras at independent headings up to
#: CROSS_VIEW_MAX_YAW_DEG from the side (front to side), through the estimator's error model, so
#: that what changes with the camera is within-person variation the discriminants drop. The
#: one-walk threshold comes from CROSS_VIEW_THRESHOLD_PEOPLE other people, each walk seen once,
#: in galleries of CROSS_VIEW_THRESHOLD_GALLERY people: across views a stranger's best score
#: grows with the gallery much faster than within one view, and the threshold of 3-person
#: galleries (as for the default model) names 93 % of strangers in galleries of 27.
CROSS_VIEW_SEED = 20261207
CROSS_VIEW_PEOPLE = 400
CROSS_VIEW_WALKS = 2
CROSS_VIEW_VIEWS = 2
CROSS_VIEW_MAX_YAW_DEG = 90.0
CROSS_VIEW_THRESHOLD_PEOPLE = 200
CROSS_VIEW_THRESHOLD_GALLERY = 10
#: No mirror averaging for the cross-view head: fitted on walks filmed from both sides in either
#: direction, it already finds people walking away (UCalgary 0 -> 180 degrees: 30 / 21 / 21 % on
#: true joints / error model / through BlazePose); refitted on mirror-averaged walks it scored
#: 41 / 25 / 18 % there and lost 12 points within the front view through BlazePose
#: (docs/experiments.md).
CROSS_VIEW_AXIAL_MIRROR = None
