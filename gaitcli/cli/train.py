"""`gaitcli train`: train gaitcli's networks, one command per network (`pose`, ...).

Each command imports its training module (and so TensorFlow) only when it runs.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from gaitcli.cli.output import err_console, print_json, progress
from gaitcli.training.gait_config import (
    BLOCK_SCORING, BLOCK_THRESHOLD_TRIALS, HEAD_DIMENSIONS, HEAD_GAIT_WEIGHT, HEAD_SHRINKAGE, HEAD_TRIALS, GaitTrainingConfig,
)

app = typer.Typer(
    help="Train the models: the pose network on annotated images; the gait network, its head and its input blocks on "
         "synthetic and engine walks.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class PoseLoss(str, Enum):
    sce = "sce"
    mse = "mse"


@app.command("pose")
def pose(
    annotations: Path = typer.Argument(
        ...,
        help='JSON list of {"image": path (relative to the JSON file), "joints": 16 (x, y) pixel pairs, '
        '"visible": 16 of 0/1}, joints in the seed order.',
        show_default=False,
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for checkpoints (pose.weights.h5, state.json)."),
    epochs: int = typer.Option(10, "--epochs", min=1, help="Train until this many epochs in total are done."),
    batch_size: int = typer.Option(8, "--batch-size", min=1, help="Images per step."),
    learning_rate: float = typer.Option(1e-4, "--learning-rate", help="RMSProp learning rate (> 0)."),
    loss: Optional[PoseLoss] = typer.Option(
        None,
        "--loss",
        help="sce: sigmoid cross-entropy vs binary disks (default); mse: squared error vs Gaussians. "
        "Resuming keeps the checkpoint's loss.",
        show_default=False,
    ),
    init: Optional[Path] = typer.Option(
        None,
        "--init",
        help="Start from these weights: a seed TF-1 checkpoint (e.g. MPII+LSP.ckpt), a .weights.h5, "
        "or slim's ImageNet Inception-ResNet-v2 checkpoint (trunk only).",
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue the training saved in --out."),
    freeze_batch_norm: bool = typer.Option(
        False, "--freeze-batch-norm", help="Keep batch-norm statistics fixed (better for small batches when fine-tuning)."
    ),
    save_every: int = typer.Option(500, "--save-every", min=1, help="Steps between checkpoints (besides each epoch's end)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (initial weights, sample order, dropout)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout when done."),
) -> None:
    """Train the seed's pose network (HumanPoseIRNetwork) on images with annotated joints.

    The seed's recipe: heat-map targets at 289x289, RMSProp, gradients clipped to norm 2.0.
    The progress bar shows the epoch's mean loss and mean joint distance (pixels of the
    299x299 network input). Ctrl-C saves a checkpoint; --resume continues it.
    """
    from gaitcli.training.pose import PoseTrainingConfig, plan_pose_training, train_pose

    config = PoseTrainingConfig(
        annotations=annotations,
        out=out,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        loss=loss.value if loss is not None else None,
        init=str(init) if init is not None else None,
        resume=resume,
        freeze_batch_norm=freeze_batch_norm,
        save_every=save_every,
        seed=seed,
    )
    plan = plan_pose_training(config)  # every user error surfaces here, before the progress bar
    with progress() as bar:
        task = bar.add_task("building the network and compiling the training step", total=None)

        def on_step(s) -> None:
            remaining = (s.epochs - s.epoch) * s.batches + s.batches - s.batch
            bar.update(
                task,
                total=s.step + remaining,
                completed=s.step,
                description=f"epoch {s.epoch}/{s.epochs}  loss {s.loss:.4g}  joint dist {s.distance:.1f} px",
            )

        def on_save(s, path: Path) -> None:
            err_console.print(
                f"epoch {s.epoch}/{s.epochs}, step {s.step}: loss {s.loss:.4g}, mean joint distance "
                f"{s.distance:.1f} px; saved {path}",
                soft_wrap=True,
                highlight=False,
            )

        status = train_pose(plan, on_step=on_step, on_save=on_save)
    weights = out / "pose.weights.h5"
    if as_json:
        print_json(
            {
                "checkpoint": str(weights),
                "step": status.step,
                "epoch": status.epoch,
                "loss": status.loss,
                "mean_joint_distance_px": status.distance,
                "history": status.history,
            }
        )
    else:
        err_console.print(f"done: {status.step} steps; use it with: gaitcli pose --engine ir --checkpoint {weights} IMAGE", soft_wrap=True, highlight=False)


def _check_checkpoint_out(out: Path, force: bool, inputs=(), report: bool = False) -> None:
    """A gait checkpoint may be written to ``out`` (.npz, not there unless ``force``, folder exists),
    and its report to ``out.json`` (with ``report``); neither may be one of ``inputs``, even with ``force``."""
    from gaitcli.errors import InputError

    if out.suffix.lower() != ".npz":
        raise InputError(f"{out}: gait checkpoints are .npz files; give a name ending in .npz")
    given = {Path(p).resolve() for p in inputs if p is not None}
    for target in (out, out.with_suffix(".json")) if report else (out,):
        if target.resolve() in given:
            raise InputError(f"{target} is one of the inputs; choose another output file")
        if target.exists() and not force:
            raise InputError(f"{target} already exists; pass --force to overwrite it")
    if not out.parent.is_dir():
        raise InputError(f"folder {out.parent} does not exist; create it first")


_GAIT = GaitTrainingConfig()  # the defaults of the recipe, kept in one place


def _stage_progress(bar, labels: dict[str, str]):
    """A ``progress(stage, done, total)`` callback that gives each stage its own bar, named by ``labels``."""
    tasks: dict[str, int] = {}

    def on_stage(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
        bar.update(tasks[stage], completed=done)

    return on_stage


def _save_with_threshold(checkpoint, out: Path, report: dict, *, force: bool, as_json: bool) -> None:
    """Write ``checkpoint`` and say so: the report as JSON on stdout, or one line with its threshold."""
    checkpoint.save(out, overwrite=force)
    report["checkpoint"] = str(out)
    if as_json:
        print_json(report)
        return
    err_console.print(f"wrote {out} ({checkpoint.short_fingerprint}): {checkpoint.describe()}; one-walk open-set threshold "
                      f"{checkpoint.head.open_set_threshold:.3f}", markup=False, highlight=False)


@app.command("gait")
def gait(
    out: Path = typer.Option(..., "--out", "-o", help="Gait checkpoint to write (.npz); a report lands beside it (.json; --force to overwrite them)."),
    seed: int = typer.Option(_GAIT.seed, "--seed", help="Seeds the synthetic people, their walks and the network."),
    identities: int = typer.Option(_GAIT.train_identities, "--identities", min=8, help="Synthetic training people."),
    walks: int = typer.Option(_GAIT.walks_per_identity, "--walks", min=2, help="Walks per training person held at a time."),
    fresh: int = typer.Option(
        _GAIT.fresh_walks_per_step, "--fresh", min=0, help="Training walks replaced by new walks of the same people per step (0: a fixed set)."
    ),
    val_identities: int = typer.Option(_GAIT.val_identities, "--val-identities", min=2, help="Held-out synthetic people for validation."),
    steps: int = typer.Option(_GAIT.steps, "--steps", min=1, help="Training steps (the time budget may stop earlier)."),
    minutes: float = typer.Option(_GAIT.time_budget_minutes, "--minutes", help="Time budget in minutes, data generation included."),
    rnn_layers: int = typer.Option(_GAIT.rnn_layers, "--rnn-layers", min=1, max=4, help="Stacked GRU layers."),
    width_scale: float = typer.Option(
        1.0, "--width-scale", min=0.05, help="Network widths as a multiple of the default model's (4: the seed's full GaitNN)."
    ),
    mocap: bool = typer.Option(_GAIT.include_mocap, "--mocap/--no-mocap", help="Mix in the real CMU motion-capture walks of --mocap-dir (the recipe does)."),
    mocap_dir: Optional[Path] = typer.Option(
        None, "--mocap-dir", help="The CMU walks' folder (with INDEX.tsv; ../shared/data/mocap beside a checkout); required unless --no-mocap."
    ),
    engine_walks: Optional[Path] = typer.Option(
        None, "--engine-walks", help="Mix in walks seen by the real pose engine (made by scripts/engine_walks.py)."
    ),
    engine_val_walks: Optional[Path] = typer.Option(
        None, "--engine-val-walks", help="Also validate on such walks of other people; the best checkpoint is then the best on both sets."
    ),
    engine_share: Optional[float] = typer.Option(
        None, "--engine-share", min=0.0, max=1.0, help="Share of each batch's people taken from --engine-walks (default: in proportion)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the training report as JSON on stdout."),
) -> None:
    """Train a gait network on synthetic walkers (the recipe of the packaged default model's network).

    Seeded and reproducible: the defaults reproduce the network of gaitcli's default model
    (`gaitcli train gait --out gait_network.npz`; `gaitcli train head` then fits its head).
    """
    _check_checkpoint_out(out, force, (engine_walks, engine_val_walks), report=True)
    from gaitcli.training.gait import train_gait
    from gaitcli.training.gait_config import scaled_widths

    cfg = GaitTrainingConfig(
        seed=seed,
        train_identities=identities,
        walks_per_identity=walks,
        fresh_walks_per_step=fresh,
        val_identities=val_identities,
        steps=steps,
        time_budget_minutes=minutes,
        rnn_layers=rnn_layers,
        widths=scaled_widths(width_scale),
        include_mocap=mocap,
        engine_walks=str(engine_walks) if engine_walks is not None else None,
        engine_val_walks=str(engine_val_walks) if engine_val_walks is not None else None,
        engine_share=engine_share,
    )
    for path in (engine_walks, engine_val_walks):
        if path is not None:
            from gaitcli.training.engine_walks import load_engine_walks

            load_engine_walks(path)  # a bad file is refused before anything starts
    with progress(disable=as_json) as bar:
        task = bar.add_task("training", total=steps)

        def on_step(step: int, total: int, losses: dict) -> None:
            bar.update(task, completed=step, description=f"training (loss {losses['loss']:.3f})")

        def log(message: str) -> None:
            if not as_json:
                err_console.print(message, markup=False, highlight=False)

        report = train_gait(cfg, out, mocap_dir=mocap_dir, log=log, progress=on_step)
    if as_json:
        print_json(report)
        return
    best = report["best"]
    err_console.print(
        f"wrote {out} ({report['fingerprint'][:12]}): {report['steps']} steps in {report['minutes']:.1f} min; "
        f"held-out rank-1 {best['rank1']:.3f}"
        + (f" (engine walks {best['engine_rank1']:.3f})" if "engine_rank1" in best else "")
        + f" at step {best.get('step')}",
        markup=False,
        highlight=False,
    )


@app.command("blocks")
def blocks(
    out: Path = typer.Option(..., "--out", "-o", help="Gait checkpoint to write (.npz): the model with the input blocks."),
    gait_checkpoint: Optional[Path] = typer.Option(
        None, "--gait-checkpoint", help="The model whose discriminant head gets the blocks (default: the packaged model; existing blocks are replaced)."
    ),
    threshold_walks: list[Path] = typer.Option(
        [], "--threshold-walks", help="Measure the one-walk open-set threshold on the plain walks (nothing carried, no coat) "
        f"of these engine walks of held-out people: least FAR + FRR over {BLOCK_THRESHOLD_TRIALS} galleries of 3 people enrolled from one walk "
        "(scripts/engine_walks.py; default: synthetic people through the estimator's error model)."
    ),
    together: bool = typer.Option(
        False, "--blocks-together", help="Galleries score the vector with one SVM per person over all blocks together, as the "
        "models up to accc17afa5e2 did: better on synthetic people like the training renderer's, worse on real ones "
        "(default: one SVM per person and block, their scores summed with the blocks' weights; docs/experiments.md)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Add the input blocks to a model's discriminant head (a few minutes).

    The identification vector becomes \\[discriminants, body statistics, arm statistics, network
    vector, body proportions], the last four standardised on synthetic background walkers, so that
    what tells real people apart and the synthetic-fitted projection drops (posture, range of
    motion, the network's own vector, limb lengths over height) reaches the gallery. The statistics
    of the elbows and wrists are a block of their own at half weight: bags, phones and pockets take
    the arms over. A walk toward or away from the camera is averaged with its mirror image, so that
    its vector does not depend on which way the walker faces. A gallery fits one SVM per person and
    block and sums their scores with the blocks' weights, so that every block has its say. The
    one-walk open-set threshold is measured on held-out people's plain walks (nothing carried, no
    coat), in those scores: the walks of --threshold-walks, or of other synthetic people.
    Deterministic: the packaged model is this command applied to its head-only predecessor
    (docs/model-card.md).
    """
    from gaitcli.gait.model import load_gait_model
    from gaitcli.training.engine_walks import load_engine_walks
    from gaitcli.training.head import add_input_blocks

    _check_checkpoint_out(out, force)
    for path in threshold_walks:
        load_engine_walks(path)  # a bad file is refused before anything starts
    base = load_gait_model(gait_checkpoint).checkpoint
    with progress(disable=as_json) as bar:
        on_person = _stage_progress(bar, {"population": "background walkers", "threshold": "threshold walkers"})
        checkpoint, report = add_input_blocks(base, threshold_files=threshold_walks, progress=on_person,
                                              block_scoring=None if together else BLOCK_SCORING,
                                              log=lambda m: None if as_json else err_console.print(m, markup=False, highlight=False))
    _save_with_threshold(checkpoint, out, report, force=force, as_json=as_json)


@app.command("cross-view")
def cross_view(
    out: Path = typer.Option(..., "--out", "-o", help="Gait checkpoint to write (.npz): the network with the cross-view head."),
    gait_checkpoint: Optional[Path] = typer.Option(
        None, "--gait-checkpoint", help="The gait network to put the head on (default: the packaged model's network; its head is dropped)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Fit a head for galleries and probes filmed from different sides (about 2 minutes).

    Synthetic people each walk twice, and every walk is filmed by two cameras anywhere from the
    front to the side, through the pose engine's error model: the discriminants learn to drop
    what the camera changes. The one-walk open-set threshold is measured on other people. The
    packaged 'cross-view' model is this command applied to the default model (docs/model-card.md).
    Deterministic.
    """
    from gaitcli.gait.model import load_gait_model
    from gaitcli.training.head import train_cross_view

    _check_checkpoint_out(out, force, (gait_checkpoint,))
    base = load_gait_model(gait_checkpoint).checkpoint
    with progress(disable=as_json) as bar:
        on_person = _stage_progress(bar, {"fit": "walkers to fit on", "threshold": "walkers to set the threshold on"})
        checkpoint, report = train_cross_view(base, progress=on_person)
    _save_with_threshold(checkpoint, out, report, force=force, as_json=as_json)


@app.command("head")
def head(
    engine_walks: list[Path] = typer.Option(
        ..., "--engine-walks", help="Walks of background people seen by the pose engine (scripts/engine_walks.py); repeat for more files."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Gait checkpoint to write (.npz): the network with the fitted head."),
    gait_checkpoint: Optional[Path] = typer.Option(
        None, "--gait-checkpoint", help="The gait network to put the head on (default: the packaged model's network)."
    ),
    val_walks: list[Path] = typer.Option([], "--val-walks", help="Score the network with and without the head on walks of other people."),
    threshold_walks: list[Path] = typer.Option(
        [], "--threshold-walks", help="Measure the open-set threshold for one-walk galleries on walks of yet other people."
    ),
    gait_weight: float = typer.Option(HEAD_GAIT_WEIGHT, "--gait-weight", min=0.0, help="Weight of the network's vector beside the walk statistics (0: statistics only)."),
    shrinkage: float = typer.Option(HEAD_SHRINKAGE, "--shrinkage", min=0.0, max=1.0, help="Shrinkage of the within-person covariance."),
    dimensions: int = typer.Option(HEAD_DIMENSIONS, "--dimensions", min=1, help="Leading discriminants kept: the identification vector's size."),
    trials: int = typer.Option(HEAD_TRIALS, "--trials", min=1, help="Simulated one-walk galleries for the threshold and each validation score (fewer: faster, noisier)."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Fit a gait model's discriminant head on walks seen by the pose engine (seconds to minutes).

    The head projects the network's vector and the walk's statistics onto the directions along
    which people differ (linear discriminants). Any head the checkpoint has is replaced. The
    docs/training.md (The discriminant head) gives the command and files that made the packaged model's.
    """
    from gaitcli.gait.checkpoint import GaitCheckpoint
    from gaitcli.gait.model import load_gait_model
    from gaitcli.training.engine_walks import load_engine_walks
    from gaitcli.training.head import train_head

    _check_checkpoint_out(out, force, (*engine_walks, *val_walks, *threshold_walks, gait_checkpoint))
    for path in (*engine_walks, *val_walks, *threshold_walks):
        load_engine_walks(path)  # a bad file is refused before anything starts
    base: GaitCheckpoint = load_gait_model(gait_checkpoint).checkpoint

    def log(message: str) -> None:
        if not as_json:
            err_console.print(message, markup=False, highlight=False)

    with progress(disable=as_json) as bar:
        on_walk = _stage_progress(bar, {"fit": "embedding the walks to fit on", "threshold": "embedding the walks to set the threshold on",
                                        "validate": "embedding the validation walks"})
        checkpoint, report = train_head(base, engine_walks, val_files=val_walks, threshold_files=threshold_walks, gait_weight=gait_weight,
                                        shrinkage=shrinkage, dimensions=dimensions, trials=trials, log=log, progress=on_walk)
    checkpoint.save(out, overwrite=force)
    report["checkpoint"] = str(out)
    if as_json:
        print_json(report)
        return
    err_console.print(
        f"wrote {out} ({checkpoint.short_fingerprint}): {checkpoint.describe()}, fitted on {report['walks']} walks of {report['people']} people",
        markup=False,
        highlight=False,
    )
    if checkpoint.head.open_set_threshold is not None:
        err_console.print(f"  open-set threshold for galleries with one walk per person: {checkpoint.head.open_set_threshold:.3f}", highlight=False)
    for name, scores in report.get("validation", {}).items():
        err_console.print(
            f"  validation, {'network alone' if name == 'network' else 'with the head'}: rank-1 {scores['rank1']:.3f} among {scores['people']} people"
            + (f"; galleries of 3: probe ranked first {scores['three_probe']:.3f}, all 3 {scores['three_all']:.3f}" if "three_all" in scores else "")
            + f"; one-walk galleries: named right {scores['open_named']:.3f}, stranger unknown {scores['open_stranger_unknown']:.3f}",
            markup=False,
            highlight=False,
        )
