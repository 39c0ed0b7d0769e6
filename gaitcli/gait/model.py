"""The gait model used for inference: a fingerprinted checkpoint run by NumPy (no TensorFlow).

:func:`load_gait_model` opens gaitcli's default model shipped in the package
(``gaitcli/weights/gait_default.npz``: a network trained by ``gaitcli train gait`` with a head fitted
by ``gaitcli train head``), the other packaged models by name (``"cross-view"``), any gaitcli ``.npz``
gait checkpoint, or a seed TF-1 gait checkpoint (read once with TensorFlow, then run by NumPy;
``gaitcli convert`` makes that a one-off).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from gaitcli.constants import FEATURE_SPACE_SEED_IR
from gaitcli.errors import InputError, ModelError
from gaitcli.features.sequence import PreparedWalk
from gaitcli.gait.checkpoint import GaitCheckpoint, looks_like_gait_checkpoint
from gaitcli.gait.embedding import identification_vector
from gaitcli.gait.numpy_forward import NumpyGaitNetwork

DEFAULT_MODEL_NAME = "gait_default.npz"
#: Gait models shipped in the package, by the name ``--gait-checkpoint`` takes: the default, and
#: the same network with a head for galleries and probes filmed from different sides
#: (``gaitcli train cross-view``; docs/model-card.md).
PACKAGED_MODELS = {"default": DEFAULT_MODEL_NAME, "cross-view": "gait_crossview.npz"}


def default_model_path() -> Path:
    """Where the packaged default gait model lives."""
    return packaged_model_path("default")


def packaged_model_path(name: str) -> Path:
    """Where the packaged gait model ``name`` (a key of :data:`PACKAGED_MODELS`) lives."""
    return Path(str(resources.files("gaitcli") / "weights" / PACKAGED_MODELS[name]))


class GaitModel:
    """A gait checkpoint ready to turn prepared walks into identification vectors."""

    def __init__(self, checkpoint: GaitCheckpoint, source: str):
        self.checkpoint = checkpoint
        self.source = source
        self.network = NumpyGaitNetwork.from_checkpoint(checkpoint)

    @property
    def fingerprint(self) -> str:
        return self.checkpoint.fingerprint

    @property
    def feature_space(self) -> str:
        return self.checkpoint.feature_space

    @property
    def open_set_threshold(self) -> float | None:
        """The threshold the model suggests for galleries with one walk per person (its head's), if any."""
        head = self.checkpoint.head
        return head.open_set_threshold if head is not None else None

    @property
    def score_blocks(self) -> tuple[tuple[int, int, float], ...] | None:
        """The blocks a gallery scores apart (:meth:`~gaitcli.gait.discriminant.DiscriminantHead.score_blocks`), if any."""
        head = self.checkpoint.head
        return head.score_blocks() if head is not None else None

    @property
    def dimension(self) -> int:
        return self.checkpoint.identification_size

    def describe(self) -> str:
        head = " + discriminant head" if self.checkpoint.head is not None else ""
        return f"{self.checkpoint.config.label}{head} {self.checkpoint.short_fingerprint} ({self.source})"

    def require(self, feature_space: str) -> None:
        """Refuse features of another space than the model was trained on (ModelError)."""
        self.checkpoint.require(feature_space)

    def embed_walk(self, walk: PreparedWalk) -> np.ndarray:
        """The walk's unit identification vector: the network's over fixed-length windows of its
        segments, through the discriminant head with the walk's statistics (and body proportions,
        for a v5 head) when the model has one
        (a walk toward or away from the camera averaged with its mirror image when the head says so:
        :mod:`gaitcli.gait.head_inputs`)."""
        head = self.checkpoint.head
        if head is None:
            return identification_vector(self.network.feed_forward_batch, walk)
        from gaitcli.gait.head_inputs import head_inputs

        return head.apply(*head_inputs(self.network.feed_forward_batch, walk, head.axial_mirror))

    def mirror_image_weight(self, walk: PreparedWalk) -> float:
        """How much of the walk's mirror image goes into its vector (0 to 0.5): more the less the
        walk crosses the image, for a head that mirror-averages (:mod:`gaitcli.gait.head_inputs`)."""
        from gaitcli.gait.head_inputs import mirror_weight

        head = self.checkpoint.head
        return mirror_weight(walk.lateral_speed, head.axial_mirror if head is not None else None)

    def embed_features(self, features: np.ndarray) -> np.ndarray:
        """The unit identification vector of one whole sequence of spatial features (the seed's way;
        a model with a discriminant head has joint features and embeds walks instead)."""
        vector = self.network.feed_forward(features)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)


def load_gait_model(path: str | Path | None = None) -> GaitModel:
    """The default gait model (``path=None``), a packaged one by name (:data:`PACKAGED_MODELS`,
    unless a file of that name is in the current folder), a gaitcli ``.npz``, or a seed TF-1
    gait checkpoint."""
    name = "default" if path is None else str(path)
    if name in PACKAGED_MODELS and (path is None or not Path(path).exists()):
        packaged = packaged_model_path(name)
        if not packaged.is_file():
            raise ModelError(
                f"the {name} gait model is missing from the installation ({packaged}); reinstall gaitcli "
                "or train one with `gaitcli train gait`"
            )
        return GaitModel(GaitCheckpoint.load(packaged), name)
    path = Path(path)
    if looks_like_gait_checkpoint(path):
        return GaitModel(GaitCheckpoint.load(path), path.name)
    from gaitcli.tf1_checkpoint import checkpoint_exists

    if not checkpoint_exists(path):
        raise InputError(f"gait model not found: {path} (give a gaitcli .npz, a seed TF-1 checkpoint, "
                         f"or a shipped model: {', '.join(PACKAGED_MODELS)})")
    from gaitcli.gait.tf1_mapping import load_tf1_gait_checkpoint

    layout, weights = load_tf1_gait_checkpoint(path)
    checkpoint = GaitCheckpoint.create(
        layout.config, weights, FEATURE_SPACE_SEED_IR, training={"converted_from": path.name}
    )
    return GaitModel(checkpoint, path.name)
