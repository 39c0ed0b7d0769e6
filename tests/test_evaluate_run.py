"""`gaitcli evaluate` end to end on generated datasets of known vectors: numbers, files, cache, CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from gaitcli.errors import InputError, NoPersonError
from gaitcli.evaluation import evaluate_dataset
from gaitcli.evaluation.cache import EmbeddingCache, walk_signature
from gaitcli.gallery.vectors import save_vectors

from cli_run import run_cli

SUBJECTS = ("A", "B", "C", "D")
VIEWS = ("000", "090", "180")
WALKS = ("nm-01", "nm-02", "nm-03", "nm-04", "nm-05", "nm-06", "bg-01", "bg-02", "cl-01", "cl-02")
DIM = 8  # one axis per subject, then one per view
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def unit(i: int) -> np.ndarray:
    v = np.zeros(DIM)
    v[i] = 1.0
    return v


def write_vector(path: Path, vector: np.ndarray, model: str = "test-model") -> None:
    """A .npy walk as `gaitcli embed --out` writes it, or a fake video holding its vector."""
    if path.suffix == ".npy":
        save_vectors(path, vector, {"model_fingerprint": model, "feature_space": "test-space"})
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:  # np.save(path) would append .npy to the name
        np.save(fh, np.asarray(vector, dtype=np.float32))


def clustered_vector(rng, subject: str, walk: str, view: str) -> np.ndarray:
    """Subject axis + a weak view axis + noise; subject A's coat walks look like subject B."""
    who = "B" if (subject == "A" and walk.startswith("cl")) else subject
    noise = 0.2 if walk.startswith(("bg", "cl")) else 0.02
    return unit(SUBJECTS.index(who)) + 0.3 * unit(4 + VIEWS.index(view)) + noise * rng.normal(size=DIM)


def make_casia(root: Path, suffix: str = ".npy") -> Path:
    rng = np.random.default_rng(7)
    for subject in SUBJECTS:
        for walk in WALKS:
            for view in VIEWS:
                write_vector(root / subject / f"{walk}-{view}{suffix}", clustered_vector(rng, subject, walk, view))
    return root


@pytest.fixture(scope="module")
def casia(tmp_path_factory) -> Path:
    return make_casia(tmp_path_factory.mktemp("casia"))


@pytest.fixture(scope="module")
def evaluation(casia, tmp_path_factory):
    return evaluate_dataset(casia, preset="casia-b", out=tmp_path_factory.mktemp("out"))


def test_known_clusters_give_the_expected_numbers(evaluation):
    report = evaluation.report
    nm, bg, cl = (report["conditions"][c] for c in ("nm", "bg", "cl"))
    assert (nm["rank1"], nm["mAP"], nm["EER"]) == (1.0, 1.0, 0.0)
    assert bg["rank1"] == 1.0
    # subject A's coat walks match subject B in every view pair: 6 of 8 probes per pair
    assert cl["rank1"] == 0.75 and cl["rank5"] == 1.0
    assert all(v["rank1"] == 0.75 for v in cl["views"].values())
    assert report["overall"]["rank1"] == pytest.approx((1 + 1 + 0.75) / 3, abs=1e-6)
    assert 0 < cl["EER"] < 0.5 and report["overall"]["EER"] > 0
    assert report["counts"] == {
        "subjects": 4, "gallery_identities": 4, "gallery_walks": 48, "probe_walks": 72,
        "unused_walks": 0, "failed_walks": 0, "loaded": 120, "cached": 0, "embedded": 0,
    }
    assert report["overall"]["cmc"][-1] == 1.0 and len(report["overall"]["cmc"]) == 4


def test_cross_view_excludes_identical_views(evaluation):
    views = evaluation.report["conditions"]["nm"]["views"]
    assert set(views) == set(VIEWS)
    for view, result in views.items():
        assert set(result["rank1_by_gallery_view"]) == set(VIEWS) - {view}
        assert result["probes"] == 8


def test_report_and_plots_are_written(evaluation):
    files = evaluation.files
    assert {p.name for p in files.values()} == {"casia-b-report.json", "casia-b-cmc.png", "casia-b-roc.png"}
    on_disk = json.loads(files["report"].read_text())
    assert on_disk == json.loads(json.dumps(evaluation.report))
    assert on_disk["format"] == "gaitcli.evaluation/1"
    assert on_disk["files"]["cmc"] == str(files["cmc"])
    roc = on_disk["roc"]["overall"]
    assert roc["far"][0] == 1.0 and roc["far"][-1] == 0.0 and roc["genuine_pairs"] > 0
    import matplotlib.image

    for name in ("cmc", "roc"):
        assert files[name].read_bytes()[:8] == PNG_MAGIC
        image = matplotlib.image.imread(files[name])
        assert image.shape[:2] == (480, 640)
        assert image[..., :3].std() > 0.05  # curves, text and axes, not a blank canvas
    assert not [p for p in files["report"].parent.iterdir() if p.name.endswith(".tmp")]


def test_identical_view_trap(tmp_path):
    """Walks of one subject and view share a strong appearance: only same-view matching finds them."""
    rng = np.random.default_rng(3)
    appearance = {(s, v): 3 * rng.normal(size=64) for s in SUBJECTS for v in VIEWS}
    for subject in SUBJECTS:
        identity = np.zeros(64)
        identity[SUBJECTS.index(subject)] = 1.0
        for walk in WALKS[:6]:
            for view in VIEWS:
                vector = identity + appearance[subject, view] + 0.01 * rng.normal(size=64)
                write_vector(tmp_path / "data" / subject / f"{walk}-{view}.npy", vector)
    cross = evaluate_dataset(tmp_path / "data", preset="casia-b", out=tmp_path / "out")
    assert cross.report["overall"]["rank1"] < 0.9  # the same-view gallery walks were left out
    pooled = evaluate_dataset(tmp_path / "data", gallery_patterns=["nm-0[1-4]*"], out=tmp_path / "out")
    assert pooled.report["protocol"]["name"] == "custom"
    assert pooled.report["overall"]["rank1"] == 1.0  # the whole gallery holds the same view


class FakeEmbedder:
    """Stands in for the embed pipeline: each fake video file holds its vector as .npy bytes."""

    def __init__(self, fingerprint: str = "fake-model-1"):
        self._fingerprint = fingerprint
        self.calls: list[Path] = []

    def fingerprint(self) -> str:
        return self._fingerprint

    def cache_key(self) -> str:
        return self._fingerprint

    def embed(self, path: Path):
        self.calls.append(Path(path))
        if "nobody" in Path(path).name:
            raise NoPersonError(f"no person found in {path}")
        with open(path, "rb") as fh:
            vector = np.load(fh)
        return SimpleNamespace(vector=vector, model_fingerprint=self._fingerprint, feature_space="fake-space", info={})


def test_embeddings_are_cached_across_protocols(tmp_path):
    data = make_casia(tmp_path / "videos", suffix=".mp4")
    out = tmp_path / "out"
    embedder = FakeEmbedder()
    first = evaluate_dataset(data, preset="casia-b", out=out, embedder=embedder)
    assert len(embedder.calls) == 120 and first.report["counts"]["embedded"] == 120
    assert first.report["model_fingerprint"] == "fake-model-1"
    assert first.report["feature_space"] == "fake-space"

    # another protocol over the same walks: nothing is embedded again
    second = evaluate_dataset(data, gallery_patterns=["nm-0[1-2]*"], probe_patterns=["cl-*"], out=out, embedder=embedder)
    assert len(embedder.calls) == 120
    assert second.report["counts"]["cached"] == 2 * 4 * 3 + 2 * 4 * 3
    assert second.report["feature_space"] == "fake-space"
    assert (out / "casia-b-report.json").is_file() and (out / "custom-report.json").is_file()

    # a changed walk file is embedded again, the others come from the cache
    changed = data / "B" / "nm-05-090.mp4"
    write_vector(changed, unit(1))
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    third = evaluate_dataset(data, preset="casia-b", out=out, embedder=embedder)
    assert embedder.calls[120:] == [changed]
    assert third.report["counts"]["cached"] == 119
    assert third.report["conditions"] == first.report["conditions"]  # same answers from cached vectors

    # another gait model never reads these vectors
    other = FakeEmbedder("fake-model-2")
    evaluate_dataset(data, preset="casia-b", out=out, embedder=other)
    assert len(other.calls) == 120


def test_an_interrupted_run_keeps_what_it_embedded(tmp_path):
    data = make_casia(tmp_path / "videos", suffix=".mp4")

    class Interrupted(FakeEmbedder):
        def embed(self, path):
            if len(self.calls) == 9:
                raise KeyboardInterrupt
            return super().embed(path)

    with pytest.raises(KeyboardInterrupt):
        evaluate_dataset(data, preset="casia-b", out=tmp_path / "out", embedder=Interrupted())
    rerun = FakeEmbedder()
    report = evaluate_dataset(data, preset="casia-b", out=tmp_path / "out", embedder=rerun).report
    assert len(rerun.calls) == 120 - 9 and report["counts"]["cached"] == 9


def test_walks_that_fail_are_skipped_and_reported(tmp_path):
    data = make_casia(tmp_path / "videos", suffix=".mp4")
    write_vector(data / "C" / "bg-03-nobody.mp4", unit(2))  # the fake pipeline finds no person in it
    result = evaluate_dataset(data, gallery_patterns=["nm-0[1-4]*"], out=tmp_path / "out", embedder=FakeEmbedder())
    assert result.report["counts"]["failed_walks"] == 1
    assert result.report["failed"][0]["walk"] == "C/bg-03-nobody"
    assert "no person found" in result.report["failed"][0]["error"]
    assert result.report["counts"]["probe_walks"] == 72


def test_cli_json_and_table(casia, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli(["evaluate", str(casia), "--preset", "casia-b", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # stdout holds the JSON only
    assert report["conditions"]["cl"]["rank1"] == 0.75
    assert "casia-b: 48 gallery and 72 probe walks" in captured.err
    assert run_cli(["evaluate", str(casia), "--out", str(out)]) == 0  # preset detected from the names
    captured = capsys.readouterr()
    assert "CL" in captured.out and "75.0%" in captured.out and "probe view" in captured.out
    assert "wrote" in captured.err


def test_cli_skips_unreadable_vector_files(casia, tmp_path, capsys):
    data = tmp_path / "data"
    for path in casia.rglob("*.npy"):
        write_vector(data / path.relative_to(casia), np.load(path))
    (data / "D" / "cl-02-180.npy").write_bytes(b"not a numpy file")
    assert run_cli(["evaluate", str(data), "--out", str(tmp_path / "out"), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["counts"]["failed_walks"] == 1
    assert "D/cl-02-180" in captured.err and "not a readable .npy" in captured.err


def test_vectors_of_different_gait_models_are_not_mixed(tmp_path):
    data = make_casia(tmp_path / "data")
    write_vector(data / "A" / "bg-01-090.npy", unit(0), model="other-model")
    with pytest.raises(InputError, match="different gait models"):
        evaluate_dataset(data, preset="casia-b", out=tmp_path / "out")
    write_vector(data / "A" / "bg-01-090.npy", unit(0))
    write_vector(data / "A" / "bg-02-090.mp4", unit(0))  # a video beside the .npy of the same walk
    with pytest.raises(InputError, match="two walks named"):
        evaluate_dataset(data, preset="casia-b", out=tmp_path / "out", embedder=FakeEmbedder())
    (data / "A" / "bg-02-090.npy").unlink()
    (data / "A" / "bg-02-090.npy.json").unlink()
    with pytest.raises(InputError, match="another gait model"):
        evaluate_dataset(data, preset="casia-b", out=tmp_path / "out", embedder=FakeEmbedder())


@pytest.mark.parametrize(
    "layout, extra, message",
    [
        ({}, [], "holds no walks"),
        ({"A/nm-01-090.npy": 0, "B/nm-05-090.npy": 1}, ["--preset", "casia-b"], "have probe walks but no gallery walk"),
        ({"A/x1.npy": 0, "B/x1.npy": 1}, ["--gallery-pattern", "nm-*"], "matches no walk"),
        ({"A/x1.npy": 0, "B/x1.npy": 1}, [], "follow no preset"),
    ],
)
def test_cli_malformed_datasets(tmp_path, capsys, layout, extra, message):
    data = tmp_path / "data"
    data.mkdir()
    for name, axis in layout.items():
        write_vector(data / name, unit(axis))
    assert run_cli(["evaluate", str(data), "--out", str(tmp_path / "out"), *extra]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gaitcli: error: ") and message in err[0]
    assert "Traceback" not in err[0]


def test_cli_bad_arguments(casia, tmp_path, capsys):
    assert run_cli(["evaluate", str(tmp_path / "missing")]) == 3
    assert "not found" in capsys.readouterr().err
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    assert run_cli(["evaluate", str(casia), "--out", str(not_a_folder)]) == 3
    assert "is a file" in capsys.readouterr().err
    assert not_a_folder.read_text() == "x"
    assert run_cli(["evaluate", str(casia), "--preset", "casia-c"]) == 2


def test_walk_signature_follows_the_files_of_a_frame_folder(tmp_path):
    folder = tmp_path / "walk"
    folder.mkdir()
    (folder / "0001.png").write_bytes(b"a")
    before = walk_signature(folder)
    assert walk_signature(folder) == before
    (folder / "0002.png").write_bytes(b"b")
    after_add = walk_signature(folder)
    (folder / "0001.png").write_bytes(b"aa")
    assert len({before, after_add, walk_signature(folder)}) == 3


def test_an_unreadable_cache_is_rebuilt(tmp_path):
    cache = EmbeddingCache(tmp_path, "model-x")
    cache.put("k1", np.ones(4), "space")
    cache.save()
    assert EmbeddingCache(tmp_path, "model-x").get("k1").tolist() == [1, 1, 1, 1]
    assert EmbeddingCache(tmp_path, "model-y").get("k1") is None
    cache.path.write_bytes(cache.path.read_bytes()[:40])  # truncated
    broken = EmbeddingCache(tmp_path, "model-x")
    assert len(broken) == 0
    broken.put("k2", np.zeros(4), "space")
    broken.save()
    assert len(EmbeddingCache(tmp_path, "model-x")) == 1
