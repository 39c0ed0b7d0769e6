"""gaitcli: identify people from video by the way they walk.

The pipeline follows the data: input (images, video, keypoint files) -> pose engines
(:mod:`gaitcli.pose`) -> spatial features (:mod:`gaitcli.features`) -> gait network
(:mod:`gaitcli.gait`) -> gallery -> CLI (:mod:`gaitcli.cli`).

Importing :mod:`gaitcli` is cheap: TensorFlow, scikit-learn and the LiteRT runtime are
imported only by the modules that need them.
"""

__version__ = "0.1.0"
