"""Dataset scanning and the protocols' gallery/probe splits, on fake trees of empty walk files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from gaitcli.errors import InputError
from gaitcli.evaluation.dataset import scan_dataset
from gaitcli.evaluation.protocols import split_dataset

CASIA_VIEWS = [f"{a:03d}" for a in range(0, 181, 18)]
CASIA_WALKS = [f"nm-{k:02d}" for k in range(1, 7)] + ["bg-01", "bg-02", "cl-01", "cl-02"]


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


@pytest.fixture(scope="module")
def casia_tree(tmp_path_factory) -> Path:
    """3 subjects x 10 walks x 11 views, empty .npy files (names are all a split needs)."""
    root = tmp_path_factory.mktemp("casia")
    for subject in ("001", "002", "003"):
        for walk in CASIA_WALKS:
            for view in CASIA_VIEWS:
                touch(root / subject / f"{walk}-{view}.npy")
    return root


def test_casia_b_split(casia_tree):
    split = split_dataset(scan_dataset(casia_tree).walks, preset="casia-b")
    assert split.protocol == "casia-b" and split.cross_view
    assert {e.walk.name[:5] for e in split.gallery} == {"nm-01", "nm-02", "nm-03", "nm-04"}
    assert len(split.gallery) == 3 * 4 * 11
    by_condition = Counter((e.condition, e.walk.name[:5]) for e in split.probes)
    assert set(by_condition) == {
        ("nm", "nm-05"), ("nm", "nm-06"), ("bg", "bg-01"), ("bg", "bg-02"), ("cl", "cl-01"), ("cl", "cl-02")
    }
    assert all(n == 3 * 11 for n in by_condition.values())
    assert split.conditions == ["nm", "bg", "cl"]
    assert split.views == CASIA_VIEWS
    assert all(e.view == e.walk.name[-3:] for e in split.gallery + split.probes)
    assert {e.subject for e in split.probes} == {"001", "002", "003"}


def test_casia_b_is_detected_from_the_names(casia_tree):
    assert split_dataset(scan_dataset(casia_tree).walks).protocol == "casia-b"


def test_casia_b_spellings_and_layouts(tmp_path):
    # subject prefix, other separators and case, a nested frame folder, a flat video release
    touch(tmp_path / "001" / "001-nm-01-090.avi")
    touch(tmp_path / "001" / "NM_02_018.mp4")
    touch(tmp_path / "001" / "nm-05" / "000" / "frame1.png")
    touch(tmp_path / "002" / "nm01090.json")
    touch(tmp_path / "002-bg-02-036.avi")  # flat: the subject comes from the prefix
    split = split_dataset(scan_dataset(tmp_path).walks, preset="casia-b")
    gallery = {(e.subject, e.view) for e in split.gallery}
    probes = {(e.subject, e.condition, e.view, e.walk.kind) for e in split.probes}
    assert gallery == {("001", "090"), ("001", "018"), ("002", "090")}
    assert probes == {("001", "nm", "000", "frames"), ("002", "bg", "036", "video")}


def test_tum_gaid_split(tmp_path):
    walks = [f"n{k:02d}" for k in range(1, 7)] + ["b01", "b02", "s01", "s02", "tn01", "tb02", "ts01"]
    for subject in ("p001", "p002"):
        for walk in walks:
            touch(tmp_path / subject / walk / "001.jpg")  # TUM-GAID ships folders of frames
    split = split_dataset(scan_dataset(tmp_path).walks, preset="tum-gaid")
    assert not split.cross_view and split.views == []
    assert sorted({e.walk.name for e in split.gallery}) == ["n01", "n02", "n03", "n04"]
    assert split.conditions == ["n", "b", "s", "tn", "tb", "ts"]
    assert Counter(e.condition for e in split.probes) == {"n": 4, "b": 4, "s": 4, "tn": 2, "tb": 2, "ts": 2}
    assert all(e.walk.kind == "frames" for e in split.gallery)


def test_custom_patterns_conditions_from_names_and_views(casia_tree):
    walks = scan_dataset(casia_tree).walks
    split = split_dataset(walks, gallery_patterns=["nm-0[1-4]*"])
    assert split.protocol == "custom" and not split.cross_view
    assert split.conditions == ["bg", "cl", "nm"]  # the name's text before its first digit
    assert split.views == CASIA_VIEWS  # every name ends in '<number>-<3 digits>'
    # several probe patterns: each is a condition; the walks they leave out are unused
    split = split_dataset(walks, gallery_patterns=["NM-0[1-4]*"], probe_patterns=["bg-*", "*cl-01*.npy"])
    assert split.conditions == ["bg-*", "*cl-01*.npy"]
    assert len(split.probes) == 3 * 3 * 11 and len(split.unused) == 3 * 3 * 11
    # only probe patterns: every other walk is in the gallery
    split = split_dataset(walks, probe_patterns=["cl-*"])
    assert len(split.gallery) == 3 * 8 * 11 and split.conditions == ["cl"]


def test_preset_with_patterns_keeps_the_preset_names(casia_tree):
    split = split_dataset(scan_dataset(casia_tree).walks, preset="casia-b", gallery_patterns=["nm-01*"], probe_patterns=["cl-*"])
    assert split.protocol == "casia-b" and split.cross_view
    assert split.conditions == ["cl"]


def test_custom_names_without_views(tmp_path):
    for subject in ("ann", "bob"):
        for walk in ("walk-001", "walk-002", "slow-003"):
            touch(tmp_path / subject / f"{walk}.mp4")
    split = split_dataset(scan_dataset(tmp_path).walks, gallery_patterns=["walk-001"])
    assert split.views == []  # a single number is a sequence, not a view
    assert split.conditions == ["slow", "walk"]


def test_scan_skips_sidecars_hidden_and_unknown_files(tmp_path):
    for subject in ("a", "b"):
        touch(tmp_path / subject / "w1.npy")
        touch(tmp_path / subject / "w1.npy.json")  # the vectors' sidecar
        touch(tmp_path / subject / "w2.npy")
        touch(tmp_path / subject / "w2.json")  # sidecar spelled without .npy
        touch(tmp_path / subject / ".hidden.mp4")
        touch(tmp_path / subject / "notes.txt")
        touch(tmp_path / subject / "openpose" / "clip_000000000000_keypoints.json")
    data = scan_dataset(tmp_path)
    assert [(w.subject, w.name, w.kind) for w in data.walks] == [
        ("a", "openpose", "openpose"), ("a", "w1", "vectors"), ("a", "w2", "vectors"),
        ("b", "openpose", "openpose"), ("b", "w1", "vectors"), ("b", "w2", "vectors"),
    ]
    assert sorted(p.name for p in data.ignored) == ["notes.txt", "notes.txt"]


def test_scan_excludes_the_output_folder(tmp_path):
    touch(tmp_path / "a" / "w1.npy")
    touch(tmp_path / "out" / "cache" / "x.npy")
    assert {w.subject for w in scan_dataset(tmp_path, exclude=(tmp_path / "out",)).walks} == {"a"}


@pytest.mark.parametrize(
    "files, kwargs, message",
    [
        ([], {}, "holds no walks"),
        (["a/notes.txt", "b/w.npy"], {}, "subject folder"),
        (["a/w.npy", "a/w.mp4", "b/w.npy"], {}, "two walks named 'a/w'"),
        (["a/nm-01-090.npy", "a/xx-01-090.npy", "b/nm-05-090.npy"], {"preset": "casia-b"}, "do not follow the casia-b naming"),
        (["a/nm-01-090.npy", "a/nm-01-091.npy", "b/nm-01-090.npy"], {"preset": "casia-b"}, "'nm-01-090'"),
        (["a/nm-01-090.npy", "b/nm-05-090.npy", "b/nm-06-018.npy"], {"preset": "casia-b"}, "subject(s) b have probe walks but no gallery walk"),
        (["a/x1.npy", "b/x2.npy"], {}, "follow no preset"),
        (["a/x1.npy", "b/x2.npy"], {"gallery_patterns": ["zz*"]}, "--gallery-pattern 'zz*' matches no walk"),
        (["a/x1.npy", "b/x2.npy"], {"gallery_patterns": ["x*"], "probe_patterns": ["x2"]}, "matches both"),
        (["a/x1.npy", "b/x2.npy"], {"gallery_patterns": ["x*"]}, "no probe walk"),
        (["nm-01-090.npy", "a/nm-05-090.npy"], {"preset": "casia-b"}, "no subject prefix"),
        (["a/nm-01-090.npy", "a/nm-05-018.npy"], {"preset": "casia-b"}, "at least 2 subjects"),
        (["a/nm-01-090.npy", "b/nm-01-090.npy", "a/nm-05-090.npy"], {"preset": "casia-b"}, "another view"),
        (["a/w.npy"], {"preset": "casia-c"}, "unknown preset"),
    ],
)
def test_malformed_structures_are_clear_errors(tmp_path, files, kwargs, message):
    for name in files:
        touch(tmp_path / name)
    with pytest.raises(InputError) as err:
        split_dataset(scan_dataset(tmp_path).walks, **kwargs)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_dataset_and_file_instead_of_folder(tmp_path):
    with pytest.raises(InputError, match="not found"):
        scan_dataset(tmp_path / "nope")
    with pytest.raises(InputError, match="not a folder"):
        scan_dataset(touch(tmp_path / "x.mp4"))
