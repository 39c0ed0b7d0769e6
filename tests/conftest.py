"""Shared fixtures: the real data in ../shared/data or $GAITCLI_SHARED_DATA (skipped cleanly
where absent), and the sample clips embedded once per pytest run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# No progress lines on a non-terminal stderr (every few seconds, so how many depends on the
# machine's load) in the commands tests run; tests of the progress lines set their own interval.
os.environ["GAITCLI_PROGRESS_INTERVAL"] = "0"

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GAITCLI_SHARED_DATA") or REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder ../shared/data beside the project (or $GAITCLI_SHARED_DATA); skips the test where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is not present (real test data lives beside the project, or set GAITCLI_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def embedded_samples(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """Every bundled sample clip through `gaitcli embed --out --save-pose`, once per pytest run (the
    pose engine is the suite's most expensive step): {clip name: (its .npy file, its info record)};
    the joints each vector was made from are in the .npy's folder, ``poses/<clip stem>_pose.json``."""
    from gaitcli.cli.main import main
    from gaitcli.gallery.vectors import load_vectors

    folder = tmp_path_factory.mktemp("embedded-samples")
    out = {}
    for clip in sorted((REPO / "sample_videos").glob("*.mp4")):
        npy = folder / f"{clip.stem}.npy"
        with pytest.raises(SystemExit) as exit_info:
            main(["embed", str(clip), "--out", str(npy), "--save-pose", str(folder / "poses")])
        assert exit_info.value.code == 0
        _, meta = load_vectors(npy)
        out[clip.name] = (npy, meta["info"][0])
    return out
