"""Training the seed's pose network (HumanPoseIRNetwork) on MPII/LSP-style annotations.

**Annotations**: a JSON list, one entry per image::

    [{"image": "images/0001.jpg", "joints": [[x, y], ... 16 ...], "visible": [1, 0, ... 16 ...]}, ...]

``image`` is relative to the JSON file (or absolute); ``joints`` are pixel (x, y) in the
seed's joint order; ``visible`` (optional, default all 1) marks the joints that count in the
loss.  Images are letterboxed to 299x299 as :class:`gaitcli.pose.ir_engine.IREstimator` does.

**The seed's training**: targets at the 289x289 heat-map resolution are binary disks of
diameter 15 around each joint (loss ``"sce"``: sigmoid cross-entropy against the network's
logits) or Gaussians with a peak of 1 and sigma 5 px (loss ``"mse"``: squared error of the
sigmoid maps).  Each (image, joint) loss is summed over the map, masked by visibility and
averaged over the visible joints of the batch.  RMSProp (decay 0.9, epsilon 1e-10), the
gradients clipped to a global norm of 2.0, batch norm in training mode (decay 0.999) unless
frozen, dropout keep 0.7.  The mean joint distance is measured like the seed's: arg-max of the
smoothed heat maps against the target joints, over visible joints, here in pixels of the
299x299 network input.

**Checkpoints** (in the output folder): ``pose.weights.h5`` (the latest weights; usable with
``gaitcli pose --engine ir --checkpoint``), and for resuming ``state.json`` (steps, epochs,
settings, history), ``step-N.weights.h5`` and ``step-N.optimizer.npz``.  ``state.json`` is
written last and atomically, so an interrupted save never leaves a checkpoint that resumes
wrongly.  Every epoch's order is a fixed function of the seed, so a resumed run sees the same
batches as an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from gaitcli.atomic import atomic_output, atomic_write
from gaitcli.constants import IR_HEATMAP_SIZE, IR_INPUT_SIZE, NUM_JOINTS
from gaitcli.errors import InputError, ModelError

LOSSES = ("sce", "mse")
POINT_DIAMETER = 15  # the seed's binary disk (sigmoid cross-entropy targets)
GAUSS_SIGMA = 5.0  # the Gaussian targets of the MSE loss, in heat-map pixels
RMS_DECAY = 0.9
RMS_EPSILON = 1e-10
CLIP_NORM = 2.0
STATE_FORMAT = "gaitcli.train-pose/1"
STATE_FILE = "state.json"
WEIGHTS_FILE = "pose.weights.h5"
_HM_PER_INPUT = IR_HEATMAP_SIZE / IR_INPUT_SIZE


@dataclass
class Sample:
    """One annotated image: joints (16, 2) as pixel (x, y), visibility (16,) in {0, 1}."""

    image: Path
    joints: np.ndarray
    visible: np.ndarray


@dataclass
class PoseTrainingConfig:
    """Settings of one ``gaitcli train pose`` run (see the module docstring)."""

    annotations: Path
    out: Path
    epochs: int = 10
    batch_size: int = 8
    learning_rate: float = 1e-4
    loss: str | None = None  # "sce" or "mse"; None: "sce", or the checkpoint's when resuming
    init: str | None = None  # start from these weights (pose checkpoint, or a trunk-only one)
    resume: bool = False
    freeze_batch_norm: bool = False
    save_every: int = 500  # steps between checkpoints (besides each epoch's end)
    seed: int = 0


@dataclass
class TrainStatus:
    """Where training stands (passed to the progress callbacks)."""

    epoch: int  # 1-based epoch in progress
    epochs: int
    batch: int  # batches done in this epoch
    batches: int  # batches per epoch
    step: int  # optimizer steps done in total
    loss: float  # running mean over this epoch
    distance: float  # running mean joint distance (px of the 299x299 input) over this epoch
    history: list = field(default_factory=list)


def load_annotations(path: str | Path) -> list[Sample]:
    """Read and check an annotation file; every problem is an InputError naming the entry."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"annotation file not found: {path}" if not path.exists() else f"not a file: {path}")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: expected a non-empty JSON list of {{image, joints, visible}} entries")
    samples = []
    for i, entry in enumerate(entries):
        where = f"{path}: entry {i}"
        if not isinstance(entry, dict) or not isinstance(entry.get("image"), str):
            raise InputError(f"{where}: expected an object with an 'image' path")
        try:
            joints = np.asarray(entry.get("joints"), dtype=np.float64)
            visible = np.asarray(entry.get("visible", [1] * NUM_JOINTS), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{where}: 'joints' and 'visible' must be numbers") from exc
        if joints.shape != (NUM_JOINTS, 2) or not np.isfinite(joints).all():
            raise InputError(f"{where}: 'joints' must be {NUM_JOINTS} finite [x, y] pairs; got shape {joints.shape}")
        if visible.shape != (NUM_JOINTS,) or not np.isin(visible, (0, 1)).all():
            raise InputError(f"{where}: 'visible' must be {NUM_JOINTS} values of 0 or 1")
        image = Path(entry["image"])
        image = image if image.is_absolute() else path.parent / image
        if not image.is_file():
            raise InputError(f"{where}: image not found: {image}")
        samples.append(Sample(image, joints, visible))
    return samples


def target_maps(ys: np.ndarray, xs: np.ndarray, visible: np.ndarray, loss: str, size: int = IR_HEATMAP_SIZE) -> np.ndarray:
    """(size, size, 16) training targets for joints at heat-map pixels (ys, xs).

    ``"sce"``: binary disks of diameter :data:`POINT_DIAMETER` around the rounded joint;
    ``"mse"``: Gaussians of sigma :data:`GAUSS_SIGMA` peaking at 1.  Invisible joints get
    empty maps (they are masked out of the loss anyway).
    """
    grid = np.arange(size, dtype=np.float64)
    maps = np.zeros((size, size, NUM_JOINTS), dtype=np.float32)
    for j in range(NUM_JOINTS):
        if not visible[j]:
            continue
        if loss == "sce":
            cy, cx = round(float(ys[j])), round(float(xs[j]))
            radius = POINT_DIAMETER / 2.0
            d2 = (grid[:, None] - cy) ** 2 + (grid[None, :] - cx) ** 2
            maps[:, :, j] = d2 <= radius**2
        else:
            gy = np.exp(-((grid - ys[j]) ** 2) / (2 * GAUSS_SIGMA**2))
            gx = np.exp(-((grid - xs[j]) ** 2) / (2 * GAUSS_SIGMA**2))
            maps[:, :, j] = gy[:, None] * gx[None, :]
    return maps


def load_batch(samples: list[Sample], loss: str):
    """Network inputs and targets for some samples: (images (B, 299, 299, 3) float32,
    target maps (B, 289, 289, 16), visibility (B, 16), joints (B, 2, 16) as heat-map y, x)."""
    from gaitcli.io.images import load_image
    from gaitcli.pose.ir_engine import letterbox

    images, targets, visible, joints = [], [], [], []
    for s in samples:
        square, box = letterbox(load_image(s.image))
        iy, ix = box.to_input(s.joints[:, 1], s.joints[:, 0])
        hy, hx = iy * _HM_PER_INPUT, ix * _HM_PER_INPUT
        images.append(square)
        targets.append(target_maps(hy, hx, s.visible, loss))
        visible.append(s.visible)
        joints.append(np.stack([hy, hx]))
    return (
        np.stack(images).astype(np.float32),
        np.stack(targets),
        np.stack(visible).astype(np.float32),
        np.stack(joints).astype(np.float32),  # (B, 2, 16): y, x in heat-map pixels
    )


def epoch_order(n: int, epoch: int, seed: int) -> np.ndarray:
    """The sample order of one (0-based) epoch: a fixed function of the seed."""
    return np.random.default_rng([seed, epoch]).permutation(n)


class _Checkpoints:
    """The output folder: weights, optimizer state and ``state.json``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.state_path = folder / STATE_FILE

    def exists(self) -> bool:
        return self.state_path.exists()

    def read_state(self) -> dict:
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"{self.state_path} is unreadable ({type(exc).__name__}); cannot resume") from exc
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ModelError(f"{self.state_path} is not a gaitcli pose-training state ({STATE_FORMAT}); cannot resume")
        for key in ("weights", "optimizer"):
            if not (self.folder / str(state.get(key))).is_file():
                raise ModelError(f"{self.folder}: the checkpoint's {key} file {state.get(key)} is missing; cannot resume")
        return state

    def save(self, network, optimizer, state: dict) -> Path:
        """Write step-tagged weights and optimizer state, then ``state.json``, then drop the old files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        old = json.loads(self.state_path.read_text(encoding="utf-8")) if self.exists() else {}
        tag = f"step-{state['step']:07d}"
        weights = network.save(self.folder / f"{tag}.weights.h5")
        arrays = {f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)}
        with atomic_output(self.folder / f"{tag}.optimizer.npz") as tmp, open(tmp, "wb") as f:
            np.savez(f, **arrays)
        state = {**state, "weights": weights.name, "optimizer": f"{tag}.optimizer.npz"}
        atomic_write(self.state_path, json.dumps(state, indent=2).encode(), mode=None)
        _publish(weights, self.folder / WEIGHTS_FILE)
        for key in ("weights", "optimizer"):
            if old.get(key) and old[key] != state[key]:
                (self.folder / old[key]).unlink(missing_ok=True)
        return self.folder / WEIGHTS_FILE

    def load_optimizer(self, optimizer, state: dict) -> None:
        with np.load(self.folder / state["optimizer"]) as data:
            values = [data[f"v{i}"] for i in range(len(data.files))]
        variables = optimizer.variables
        if len(values) != len(variables) or any(tuple(v.shape) != a.shape for v, a in zip(variables, values)):
            raise ModelError(
                f"{self.folder}: the saved optimizer state does not fit this network "
                "(was it saved with another --freeze-batch-norm setting?)"
            )
        for variable, value in zip(variables, values):
            variable.assign(value)


def _publish(source: Path, target: Path) -> None:
    """Make ``target`` the latest weights: a hard link to ``source`` (a copy where links fail)."""
    import shutil

    # a link shares source's inode (and so its mode); a copy is given the same mode
    with atomic_output(target, mode=source.stat().st_mode & 0o777) as tmp:
        tmp.unlink()
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)


def pose_loss(logits, targets, visible, loss: str):
    """The seed's loss: per (image, joint) sum over the map, masked, mean over visible joints."""
    from gaitcli.tf_import import import_tensorflow

    tf = import_tensorflow()

    if loss == "sce":
        per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
    else:
        per_pixel = tf.math.squared_difference(tf.sigmoid(logits), targets)
    per_joint = tf.reduce_sum(per_pixel, axis=[1, 2])  # (B, 16)
    return tf.reduce_sum(per_joint * visible) / tf.maximum(tf.reduce_sum(visible), 1.0)


def joint_distance(logits, joints, visible):
    """Mean distance (px of the 299x299 input) of the heat maps' arg-max joints to ``joints``."""
    from gaitcli.tf_import import import_tensorflow

    tf = import_tensorflow()

    from gaitcli.pose.ir_network import HEAT_SMOOTHING, smooth

    heat = smooth(tf.sigmoid(logits), *HEAT_SMOOTHING)
    xs = tf.cast(tf.argmax(tf.reduce_max(heat, axis=1), axis=1), tf.float32)
    ys = tf.cast(tf.argmax(tf.reduce_max(heat, axis=2), axis=1), tf.float32)
    dist = tf.sqrt((ys - joints[:, 0]) ** 2 + (xs - joints[:, 1]) ** 2) / _HM_PER_INPUT
    return tf.reduce_sum(dist * visible) / tf.maximum(tf.reduce_sum(visible), 1.0)


@dataclass
class PoseTrainingPlan:
    """A checked training run (from :func:`plan_pose_training`), ready for :func:`train_pose`."""

    config: PoseTrainingConfig
    samples: list[Sample]
    state: dict  # the checkpoint's state when resuming, else {}
    loss: str
    init_trunk_only: bool = False


def plan_pose_training(config: PoseTrainingConfig) -> PoseTrainingPlan:
    """Check a run's settings, output folder, checkpoint and annotations (cheap, no network).

    Every problem is an InputError (or ModelError for an unusable checkpoint) before any
    time is spent building the network.
    """
    folder = Path(config.out)
    checkpoints = _Checkpoints(folder)
    if not (config.learning_rate > 0 and math.isfinite(config.learning_rate)):
        raise InputError(f"--learning-rate must be a positive number; got {config.learning_rate}")
    if config.resume and config.init:
        raise InputError("--resume continues the checkpoint in --out; it cannot start from --init as well")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out must be a folder; {folder} is a file")
    if config.resume and not checkpoints.exists():
        raise InputError(f"nothing to resume: {folder} holds no {STATE_FILE}")
    if not config.resume and checkpoints.exists():
        raise InputError(f"{folder} already holds a training checkpoint; pass --resume to continue it, or choose another --out")
    state = checkpoints.read_state() if config.resume else {}
    loss = config.loss or state.get("loss", "sce")
    if loss not in LOSSES:
        raise InputError(f"unknown loss '{loss}'; choose one of: {', '.join(LOSSES)}")
    if state and loss != state["loss"]:
        raise InputError(f"the checkpoint in {folder} was trained with --loss {state['loss']}; resume it with the same loss")
    if state.get("batch") and config.batch_size != state["batch_size"]:
        raise InputError(
            f"the checkpoint in {folder} stopped inside an epoch of batches of {state['batch_size']}; "
            f"resume it with --batch-size {state['batch_size']}"
        )
    if int(state.get("epoch", 0)) >= config.epochs:
        raise InputError(f"{folder} already holds {state['epoch']} epochs; pass a larger --epochs to train on")
    samples = load_annotations(config.annotations)
    init_trunk_only = False
    if config.init:
        init = str(config.init)
        if init.endswith(".h5"):
            if not Path(init).is_file():
                raise InputError(f"--init weights not found: {init}")
        else:
            from gaitcli.pose.ir_checkpoint import checkpoint_kind, open_pose_checkpoint

            init_trunk_only = checkpoint_kind(open_pose_checkpoint(init, trunk_only=True)) == "imagenet"
    return PoseTrainingPlan(config, samples, state, loss, init_trunk_only)


def _build(plan: PoseTrainingPlan):
    """The network (with its starting weights), the optimizer and the compiled training step."""
    from gaitcli.tf_import import import_tensorflow

    tf = import_tensorflow()
    import keras

    from gaitcli.pose.ir_network import HumanPoseIRNetwork

    config, state = plan.config, plan.state
    keras.utils.set_random_seed(config.seed + int(state.get("step", 0)))
    network = HumanPoseIRNetwork(batch_size=config.batch_size)
    if config.resume:
        network.restore(Path(config.out) / state["weights"])
    elif config.init:
        network.restore(config.init, trunk_only=plan.init_trunk_only)
    if config.freeze_batch_norm:
        for layer in network.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False  # Keras runs frozen batch norm in inference mode

    optimizer = keras.optimizers.RMSprop(
        learning_rate=config.learning_rate, rho=RMS_DECAY, epsilon=RMS_EPSILON, global_clipnorm=CLIP_NORM
    )
    optimizer.build(network.trainable_variables)
    if config.resume:
        _Checkpoints(Path(config.out)).load_optimizer(optimizer, state)
        optimizer.learning_rate = config.learning_rate  # the saved state holds the old rate

    spec = (
        tf.TensorSpec((None, IR_INPUT_SIZE, IR_INPUT_SIZE, 3), tf.float32),
        tf.TensorSpec((None, IR_HEATMAP_SIZE, IR_HEATMAP_SIZE, NUM_JOINTS), tf.float32),
        tf.TensorSpec((None, NUM_JOINTS), tf.float32),
        tf.TensorSpec((None, 2, NUM_JOINTS), tf.float32),
    )

    @tf.function(input_signature=spec)
    def train_step(images, targets, visible, joints):
        with tf.GradientTape() as tape:
            logits = network(images, training=True)["logits"]
            loss = pose_loss(logits, targets, visible, plan.loss)
        grads = tape.gradient(loss, network.trainable_variables)
        optimizer.apply_gradients(zip(grads, network.trainable_variables))
        return loss, joint_distance(logits, joints, visible)

    return network, optimizer, train_step


def train_pose(
    plan: PoseTrainingPlan | PoseTrainingConfig,
    on_step: Callable[[TrainStatus], None] | None = None,
    on_save: Callable[[TrainStatus, Path], None] | None = None,
) -> TrainStatus:
    """Train (or resume training) HumanPoseIRNetwork; returns the final status.

    ``on_step`` is called after every optimizer step, ``on_save`` after every checkpoint.
    On KeyboardInterrupt a checkpoint is saved before the interrupt propagates.
    """
    from gaitcli.tf_import import import_tensorflow

    tf = import_tensorflow()

    if isinstance(plan, PoseTrainingConfig):
        plan = plan_pose_training(plan)
    config, state, samples = plan.config, plan.state, plan.samples
    checkpoints = _Checkpoints(Path(config.out))
    network, optimizer, train_step = _build(plan)

    done_epochs, done_batches = int(state.get("epoch", 0)), int(state.get("batch", 0))
    batches = math.ceil(len(samples) / config.batch_size)
    history = list(state.get("history", []))
    status = TrainStatus(done_epochs + 1, config.epochs, done_batches, batches, int(state.get("step", 0)), math.nan, math.nan, history)
    settings = {
        "format": STATE_FORMAT,
        "loss": plan.loss,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "freeze_batch_norm": config.freeze_batch_norm,
        "seed": config.seed,
        "annotations": str(Path(config.annotations).resolve()),
        "samples": len(samples),
    }

    def save() -> None:
        epoch_done = status.batch >= status.batches
        record = {
            **settings,
            "step": status.step,
            "epoch": status.epoch if epoch_done else status.epoch - 1,
            "batch": 0 if epoch_done else status.batch,
            "history": status.history,
        }
        path = checkpoints.save(network, optimizer, record)
        if on_save:
            on_save(status, path)

    last_saved = status.step
    try:
        for epoch in range(done_epochs, config.epochs):
            order = epoch_order(len(samples), epoch, config.seed)
            first = done_batches if epoch == done_epochs else 0
            status.epoch, status.batch = epoch + 1, first
            losses, distances = [], []
            for b in range(first, batches):
                chosen = [samples[i] for i in order[b * config.batch_size : (b + 1) * config.batch_size]]
                loss, dist = train_step(*(tf.constant(a) for a in load_batch(chosen, plan.loss)))
                losses.append(float(loss))
                distances.append(float(dist))
                status.batch, status.step = b + 1, status.step + 1
                status.loss, status.distance = float(np.mean(losses)), float(np.mean(distances))
                if not math.isfinite(status.loss):
                    raise ModelError(f"training diverged at step {status.step} (loss {losses[-1]}); lower --learning-rate")
                if on_step:
                    on_step(status)
                if status.step - last_saved >= config.save_every and status.batch < batches:
                    save()
                    last_saved = status.step
            status.history.append(
                {"epoch": epoch + 1, "step": status.step, "loss": status.loss, "mean_joint_distance_px": status.distance}
            )
            save()
            last_saved = status.step
    except KeyboardInterrupt:
        if status.step > last_saved:
            save()
        raise
    return status
