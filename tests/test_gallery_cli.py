"""`gaitcli enroll`, `gaitcli identify` and `gaitcli gallery list|info|remove` through the real CLI."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import joblib
import numpy as np
import pytest

from gaitcli.cli.main import main
from gaitcli.gallery.store import load_gallery
from gaitcli.gallery.vectors import load_vectors
from gallery_fixtures import FEATURE_SPACE, FINGERPRINT, clusters, write_walks

DIM = 32
PEOPLE = ["ada", "bob", "cy", "dee", "eve"]


@pytest.fixture(autouse=True)
def config_dir(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.getbasetemp() / "cli-config"
    monkeypatch.setenv("GAITCLI_CONFIG_DIR", str(folder))
    return folder


def run(capsys, *args: str) -> tuple[int, str, str]:
    """Run `gaitcli ARGS` in-process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.fixture(scope="module")
def walks(tmp_path_factory):
    """Per person: 3 enrolment walks in one .npy, 1 held-out walk; plus two strangers."""
    folder = tmp_path_factory.mktemp("walks")
    data = clusters(len(PEOPLE) + 2, 4, DIM, seed=7)
    files = {name: write_walks(folder, f"{name}_enrol", data[i, :3]) for i, name in enumerate(PEOPLE)}
    held_out = {name: write_walks(folder, f"{name}_probe", data[i, 3]) for i, name in enumerate(PEOPLE)}
    strangers = write_walks(folder, "strangers", data[len(PEOPLE) :, 0])
    other_model = write_walks(folder, "other_model", data[0, 3], fingerprint="some-other-gait-model")
    return {"enrol": files, "probe": held_out, "strangers": strangers, "other_model": other_model, "folder": folder}


@pytest.fixture(scope="module")
def gallery(tmp_path_factory, walks):
    """A gallery of the five people, enrolled through the CLI (one call each)."""
    path = tmp_path_factory.mktemp("gallery") / "people.gallery"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GAITCLI_CONFIG_DIR", str(tmp_path_factory.getbasetemp() / "cli-config"))
        for name in PEOPLE:
            with pytest.raises(SystemExit) as exit_info:
                main(["enroll", "--gallery", str(path), "--name", name, str(walks["enrol"][name])])
            assert exit_info.value.code == 0
    return path


def test_enroll_reports_walks(capsys, tmp_path, walks):
    path = tmp_path / "g.gallery"
    code, out, _ = run(capsys, "enroll", "-g", path, "-n", "ada", walks["enrol"]["ada"], "--json")
    assert code == 0
    assert json.loads(out) == {"gallery": str(path), "created": True, "camera": None, "name": "ada", "added": 3, "walks": 3, "people": 1,
                               "total_walks": 3, "failures": []}
    code, out, _ = run(capsys, "enroll", "-g", path, "-n", "ada", walks["probe"]["ada"])
    assert code == 0
    assert "ada now has 4 walk(s)" in out and "1 people, 4 walks" in out


def test_a_gallery_takes_the_gait_models_one_walk_threshold(capsys, tmp_path):
    """Enrolled from one walk each, a gallery cannot calibrate itself: it uses the threshold the
    gait model that made the vectors carries (written beside the vectors by `gaitcli embed`)."""
    data = clusters(3, 2, DIM, seed=11)
    path = tmp_path / "one-walk.gallery"
    for k, name in enumerate(("ada", "bob", "cy")):
        walk = write_walks(tmp_path, f"{name}-1", data[k, 0], threshold=-0.25)
        assert run(capsys, "enroll", "-g", path, "-n", name, walk)[0] == 0
    gallery = load_gallery(path)
    assert gallery.default_threshold == -0.25 and gallery.model.threshold == -0.25
    assert gallery.model.calibration["source"] == "default (the gait model's one-walk threshold)"
    assert [a.name for a in gallery.identify(data[:, 1])] == ["ada", "bob", "cy"]


def test_identify_held_out_walks_and_strangers(capsys, gallery, walks):
    probes = [walks["probe"][name] for name in PEOPLE]
    code, out, err = run(capsys, "identify", "--gallery", gallery, *probes, walks["strangers"], "--top-k", "2", "--json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["name"] for r in records] == PEOPLE + ["unknown", "unknown"]
    for record, name in zip(records, PEOPLE):
        assert record["source"] == f"videos/{name}_probe_0.mp4" and record["input"].endswith(f"{name}_probe.npy")
        assert [c["name"] for c in record["candidates"]][0] == name and len(record["candidates"]) == 2
        assert record["score"] == record["candidates"][0]["score"] >= record["threshold"]
    for record in records[-2:]:
        assert record["score"] < record["threshold"] and record["candidates"][0]["name"] in PEOPLE
    # a threshold given on the command line replaces the calibrated one
    code, out, _ = run(capsys, "identify", "-g", gallery, walks["strangers"], "--threshold", "-5", "--json")
    assert {r["name"] for r in json.loads(out)} <= set(PEOPLE)
    # a printed score given back as the threshold decides as it did (scores are printed unrounded)
    code, out, _ = run(capsys, "identify", "-g", gallery, probes[0], "--threshold", repr(records[0]["score"]), "--json")
    assert json.loads(out)[0]["name"] == PEOPLE[0]


def test_identify_table(capsys, gallery, walks):
    code, out, _ = run(capsys, "identify", "-g", gallery, walks["probe"]["cy"], walks["strangers"])
    assert code == 0
    assert "calibrated" in out and "cy" in out and "unknown" in out and "runners-up" in out


def test_gallery_list_info_remove(capsys, tmp_path, gallery, walks):
    code, out, _ = run(capsys, "gallery", "list", "-g", gallery, "--json")
    assert code == 0
    assert [(p["name"], p["walks"]) for p in json.loads(out)] == [(name, 3) for name in PEOPLE]
    code, out, _ = run(capsys, "gallery", "info", "-g", gallery, "--json")
    info = json.loads(out)
    assert info["model_fingerprint"] == FINGERPRINT and info["dim"] == DIM and info["signed"] is True
    assert (info["people"], info["walks"], info["classifier"]) == (5, 15, "svm")
    assert info["calibration"]["source"] == "calibrated" and info["created"] <= info["updated"]
    code, out, _ = run(capsys, "gallery", "info", "-g", gallery)
    assert FINGERPRINT in out and "yes (by your key)" in out

    copy = tmp_path / "copy.gallery"
    copy.write_bytes(gallery.read_bytes())
    code, out, _ = run(capsys, "gallery", "remove", "-g", copy, "bob", "eve")
    assert code == 0 and "removed bob, eve (6 walks)" in out
    code, out, _ = run(capsys, "gallery", "list", "-g", copy)
    assert "ada" in out and "bob" not in out and "3 people, 9 walks" in out
    code, _, err = run(capsys, "gallery", "remove", "-g", copy, "zed")
    assert code == 3 and "not in the gallery: zed" in err
    # everyone removed: the file stays, identify says the gallery is empty
    run(capsys, "gallery", "remove", "-g", copy, "ada", "cy", "dee")
    code, _, err = run(capsys, "identify", "-g", copy, walks["probe"]["ada"])
    assert code == 6 and "empty" in err and len(err.strip().splitlines()) == 1


def test_missing_gallery_is_exit_6(capsys, tmp_path, walks):
    code, out, err = run(capsys, "identify", "-g", tmp_path / "nope.gallery", walks["probe"]["ada"])
    assert code == 6 and out == ""
    assert err.startswith("gaitcli: error: no gallery at") and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "gallery", "list", "-g", tmp_path / "nope.gallery")
    assert code == 6


def test_other_gait_model_is_refused(capsys, tmp_path, gallery, walks):
    before = gallery.read_bytes()
    for command in ("identify", "enroll"):
        extra = ["-n", "ada"] if command == "enroll" else []
        code, _, err = run(capsys, command, "-g", gallery, *extra, walks["other_model"])
        assert code == 6 and "re-enroll" in err and "some-other-gait-model" in err
    assert gallery.read_bytes() == before  # the refused enroll did not touch the file
    # within one enroll call the first walk's model wins: the walks of another model are failed inputs
    code, _, err = run(capsys, "enroll", "-g", tmp_path / "new.gallery", "-n", "x", walks["probe"]["ada"], walks["other_model"])
    assert code == 3 and "different gait models" in err and len(err.strip().splitlines()) == 1
    assert load_gallery(tmp_path / "new.gallery").sources == load_vectors(walks["probe"]["ada"])[1]["sources"]


def test_walks_of_another_pose_engine_setting_are_refused(capsys, tmp_path):
    """Flip-averaged and single-pass joints make vectors of one gait model that must not be mixed:
    the gallery remembers the setting of its first walk from video and refuses the other."""
    data = clusters(3, 2, DIM, seed=5)
    flip, single = "blazepose, flip-averaged", "blazepose"
    path = tmp_path / "engine.gallery"
    keypoints = write_walks(tmp_path, "keypoints", data[0, 0])  # from a keypoint file: no engine of ours
    assert run(capsys, "enroll", "-g", path, "-n", "ada", keypoints)[0] == 0
    assert load_gallery(path).pose_engine is None
    assert run(capsys, "enroll", "-g", path, "-n", "bob", write_walks(tmp_path, "bob", data[1, 0], pose_engine=flip))[0] == 0
    assert load_gallery(path).pose_engine == flip
    code, out, _ = run(capsys, "gallery", "info", "-g", path, "--json")
    assert json.loads(out)["pose_engine"] == flip
    before = path.read_bytes()
    other = write_walks(tmp_path, "cy", data[2, 0], pose_engine=single)
    for command in ("enroll", "identify"):
        extra = ["-n", "cy"] if command == "enroll" else []
        code, _, err = run(capsys, command, "-g", path, *extra, other)
        assert code == 6 and "'blazepose'" in err and "flip-averaged" in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before
    code, out, _ = run(capsys, "identify", "-g", path, write_walks(tmp_path, "bob2", data[1, 1], pose_engine=flip), keypoints, "--json")
    assert code == 0 and json.loads(out)[0]["candidates"][0]["name"] == "bob"
    code, _, err = run(capsys, "enroll", "-g", tmp_path / "mixed.gallery", "-n", "x", other, write_walks(tmp_path, "x", data[2, 1], pose_engine=flip))
    assert code == 3 and "different pose engine settings" in err and load_gallery(tmp_path / "mixed.gallery").pose_engine == single


def test_tampered_truncated_and_unsigned_galleries(capsys, tmp_path, gallery, walks):
    probe = walks["probe"]["dee"]
    data = gallery.read_bytes()
    tampered = tmp_path / "tampered.gallery"
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    tampered.write_bytes(bytes(flipped))
    code, _, err = run(capsys, "identify", "-g", tampered, probe)
    assert code == 6 and "signature" in err and "--trust" in err

    truncated = tmp_path / "truncated.gallery"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    code, _, err = run(capsys, "identify", "-g", truncated, probe, "--trust")
    assert code == 6 and "truncated" in err

    garbage = tmp_path / "garbage.gallery"
    garbage.write_bytes(b"hello, not a gallery at all")
    code, _, err = run(capsys, "identify", "-g", garbage, probe)  # not "pass --trust": trusting it would not help
    assert code == 6 and "corrupt or not a gaitcli gallery" in err and "--trust" not in err

    unsigned = tmp_path / "unsigned.gallery"
    joblib.dump(load_gallery(gallery).to_payload(), unsigned)
    code, _, err = run(capsys, "identify", "-g", unsigned, probe)
    assert code == 6 and "not signed" in err
    code, out, err = run(capsys, "identify", "-g", unsigned, probe, "--trust", "--json")
    assert code == 0 and json.loads(out)[0]["name"] == "dee"
    code, out, _ = run(capsys, "gallery", "info", "-g", unsigned, "--trust", "--json")
    assert json.loads(out)["signed"] is False
    # enrolling with --trust vouches for the file: it is saved signed
    code, _, _ = run(capsys, "enroll", "-g", unsigned, "-n", "dee", probe, "--trust")
    assert code == 0 and load_gallery(unsigned).walk_counts()["dee"] == 4


def test_bad_inputs(capsys, tmp_path, gallery, walks):
    code, _, err = run(capsys, "identify", "-g", gallery, tmp_path / "missing.npy")
    assert code == 3 and "does not exist" in err
    code, _, err = run(capsys, "enroll", "-g", tmp_path / "g.gallery", "-n", "unknown", walks["probe"]["ada"])
    assert code == 3 and "reserved" in err
    code, _, err = run(capsys, "enroll", "-g", tmp_path / "no" / "such" / "dir.gallery", "-n", "ada", walks["probe"]["ada"])
    assert code == 6 and "does not exist" in err
    code, _, _ = run(capsys, "identify", "-g", gallery, walks["probe"]["ada"], "--top-k", "0")
    assert code == 2


def test_one_person_gallery_through_the_cli(capsys, tmp_path, walks):
    path = tmp_path / "solo.gallery"
    run(capsys, "enroll", "-g", path, "-n", "ada", walks["enrol"]["ada"])
    code, out, _ = run(capsys, "identify", "-g", path, walks["probe"]["ada"], walks["probe"]["bob"], "--json")
    assert code == 0
    assert [r["name"] for r in json.loads(out)] == ["ada", "unknown"]
    assert np.isclose(json.loads(out)[0]["threshold"], 0.5)


def test_other_inputs_go_through_one_embedder(capsys, monkeypatch, tmp_path, gallery, walks):
    """Videos and frame folders are embedded by one gaitcli.api Embedder (models loaded once), in input
    order; one that fails is a record of its own and the others are still identified."""
    from gaitcli.errors import NoPersonError

    made, calls = [], []

    class Embedder:
        gait = SimpleNamespace(fingerprint=FINGERPRINT)

        def embed(self, path, *, track=None, progress=None):
            calls.append(Path(path))
            if Path(path).stem == "nobody":
                raise NoPersonError(f"{path}: no person found")
            return SimpleNamespace(vector=load_vectors(walks["probe"][Path(path).stem])[0][0], source=f"{path} (walker 1)",
                                   model_fingerprint=FINGERPRINT, feature_space=FEATURE_SPACE, info={}, open_set_threshold=None,
                                   pose_engine="blazepose, flip-averaged", score_blocks=None)

    def shared_embedder(**options):
        made.append(options)
        return Embedder()

    api = types.ModuleType("gaitcli.api")
    api.shared_embedder = shared_embedder
    monkeypatch.setitem(sys.modules, "gaitcli.api", api)
    video, nobody, folder = tmp_path / "bob.mp4", tmp_path / "nobody.mp4", tmp_path / "eve"
    code, out, err = run(capsys, "identify", "-g", gallery, video, walks["probe"]["cy"], nobody, folder, "--json")
    assert code == 4 and err == f"gaitcli: error: {nobody}: no person found\n"
    assert len(made) == 1 and calls == [video, nobody, folder]
    records = json.loads(out)
    assert [(r.get("name"), r["input"]) for r in records] == [
        ("bob", str(video)), ("cy", str(walks["probe"]["cy"])), (None, str(nobody)), ("eve", str(folder))]
    assert records[0]["source"] == f"{video} (walker 1)"
    assert records[2] == {"input": str(nobody), "error": f"{nobody}: no person found", "exit_code": 4}


def test_gallery_threshold_rates_the_threshold_on_labelled_walks_and_suggests_one(capsys, tmp_path, gallery, walks):
    """Walks of enrolled people and of strangers, not enrolled: the rates at the gallery's threshold
    and at the least FAR + FRR on them; an enrolled walk given by mistake is left out."""
    import shutil

    def put(vectors: Path, where: Path) -> None:  # the .npy and its meta file, as `gaitcli embed --out` wrote them
        where.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(vectors, where)
        shutil.copy(str(vectors) + ".json", str(where) + ".json")

    check = tmp_path / "check"
    for name in PEOPLE:
        put(walks["probe"][name], check / name / "walk.npy")
    put(walks["strangers"], check / "somebody-else" / "walks.npy")  # two strangers' walks
    put(walks["enrol"]["bob"], check / "bob" / "enrolled.npy")  # three walks the gallery holds
    code, out, err = run(capsys, "gallery", "threshold", check, "-g", gallery, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["genuine_walks"], report["stranger_walks"], report["people"], report["strangers"]) == (5, 2, 5, 1)
    assert report["enrolled_left_out"] == 3 and report["rough"] is True and report["failures"] == []
    assert report["current"]["threshold"] == pytest.approx(load_gallery(gallery).model.threshold)
    best = report["suggested"]  # well-separated synthetic people: one threshold names all and turns both strangers away
    assert best["named"] == 1.0 and best["stranger_unknown"] == 1.0 and best["missed"] == best["stranger_named"] == 0.0
    code, out, err = run(capsys, "gallery", "threshold", check, "-g", gallery)
    assert code == 0 and "least FAR + FRR" in out and f"--threshold {best['threshold']:.4f}" in out and "left out" in err
    # walks of one kind only cannot rate a threshold: one line, exit 3
    shutil.rmtree(check / "somebody-else")
    code, out, err = run(capsys, "gallery", "threshold", check, "-g", gallery)
    assert code == 3 and len(err.splitlines()) == 1 and "strangers" in err


def test_vectors_files_must_carry_their_models_blocks(capsys, tmp_path):
    """The blocks a gallery scores apart come with the vectors: a file of the shipped model whose
    sidecar names other blocks (edited) is refused, exit 3, as is one whose blocks differ from the
    gallery of its model; malformed blocks (strings, booleans, fractions) are refused too."""
    from gaitcli.gait.model import load_gait_model

    model = load_gait_model()
    vectors = clusters(2, 2, model.dimension, seed=3)
    blocks = [list(b) for b in model.score_blocks]
    good = write_walks(tmp_path, "good", vectors[0], fingerprint=model.fingerprint, feature_space=model.feature_space,
                       score_blocks=blocks)
    edited = write_walks(tmp_path, "edited", vectors[1], fingerprint=model.fingerprint, feature_space=model.feature_space)
    gallery = tmp_path / "g.gallery"
    code, _, err = run(capsys, "enroll", "-g", gallery, "-n", "x", edited)
    assert code == 3 and "not those of the gait model it names" in err and not gallery.exists()
    assert run(capsys, "enroll", "-g", gallery, "-n", "ada", good)[0] == 0
    assert load_gallery(gallery).model.blocks == model.score_blocks
    code, _, err = run(capsys, "identify", "-g", gallery, edited)
    assert code == 3 and "not those of the gait model it names" in err
    for bad in ([[0.5, 24, 1], [24, model.dimension, 1]], [[0, 24, True], [24, model.dimension, 1]],
                [["0", "24", "1"], ["24", str(model.dimension), "1"]], [[0, 24, 1e-300], [24, model.dimension, 1]], "blocks"):
        path = write_walks(tmp_path, "bad", vectors[1], fingerprint=model.fingerprint, feature_space=model.feature_space,
                           score_blocks=bad)
        code, _, err = run(capsys, "identify", "-g", gallery, path)
        assert code == 3 and "score_blocks" in err and err.count("\n") == 1, (bad, err)
    # a model gaitcli does not ship: its first walks decide, and a file saying otherwise is refused
    mine = tmp_path / "mine.gallery"
    apart = [[0, 8, 1.0], [8, DIM, 1.0]]
    assert run(capsys, "enroll", "-g", mine, "-n", "ada", write_walks(tmp_path, "a", clusters(1, 2, DIM)[0], score_blocks=apart))[0] == 0
    code, _, err = run(capsys, "enroll", "-g", mine, "-n", "bob", write_walks(tmp_path, "b", clusters(1, 2, DIM, seed=1)[0]))
    assert code == 3 and "scores the whole vector" in err and "2 blocks apart" in err
    info = json.loads(run(capsys, "gallery", "info", "-g", mine, "--json")[1])
    assert info["score_blocks"] == [[0, 8, 0.5], [8, DIM, 0.5]]
