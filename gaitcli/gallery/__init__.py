"""The gallery: enrolled people's identification vectors and the linear SVMs that tell them apart.

* :mod:`~gaitcli.gallery.vectors` — the ``.npy`` + ``.json`` vectors files of ``gaitcli embed``;
* :mod:`~gaitcli.gallery.walks` — turning command-line inputs into walks (vectors with their model);
* :mod:`~gaitcli.gallery.classifier` — per-person linear SVMs, scores, open-set threshold;
* :mod:`~gaitcli.gallery.store` — the signed, atomically written, lockable gallery file;
* :mod:`~gaitcli.gallery.signing` and :mod:`~gaitcli.atomic` — what keeps that file safe.

Importing this package is cheap: joblib and scikit-learn are imported when first used.
"""

from gaitcli.gallery.store import (
    UNKNOWN,
    Candidate,
    Gallery,
    Identification,
    editing,
    load_gallery,
    save_gallery,
)
from gaitcli.gallery.vectors import load_vectors, save_vectors

__all__ = [
    "UNKNOWN",
    "Candidate",
    "Gallery",
    "Identification",
    "editing",
    "load_gallery",
    "load_vectors",
    "save_gallery",
    "save_vectors",
]
