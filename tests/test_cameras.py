"""Camera adaptation: `gaitcli gallery camera`, `gaitcli identify --camera`, and `gaitcli evaluate`'s
per-view adaptation, on made-up vectors whose camera adds a known offset and on real walks."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from cli_run import run_cli
from gaitcli.gallery.cameras import CameraProfile, centred_by_view, to_reference, unit_mean, unit_rows
from gaitcli.gallery.store import load_gallery
from gallery_fixtures import clusters, write_walks

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

DIM = 32
PEOPLE = 12


@pytest.fixture(autouse=True)
def config_dir(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.getbasetemp() / "camera-config"
    monkeypatch.setenv("GAITCLI_CONFIG_DIR", str(folder))
    return folder


def filmed(people: np.ndarray, camera: np.ndarray) -> np.ndarray:
    """Unit vectors of walks (..., DIM) as a camera adding ``camera`` to each would give them."""
    v = people + camera
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def two_cameras(tmp_path_factory):
    """12 people enrolled from camera A; their probe walks and 12 strangers' walks filmed by camera B.

    Each camera adds an offset four times as long as the people's own unit vectors, so without
    adaptation everybody seen by B looks alike and like nobody in the gallery."""
    folder = tmp_path_factory.mktemp("cameras")
    rng = np.random.default_rng(3)
    people = clusters(2 * PEOPLE, 3, DIM, noise=0.2, seed=11)
    a, b = (4.0 * c / np.linalg.norm(c) for c in rng.normal(size=(2, DIM)))
    names = [f"p{i:02d}" for i in range(PEOPLE)]
    enrol = {n: write_walks(folder, f"{n}_a", filmed(people[i, :2], a)) for i, n in enumerate(names)}
    probes = write_walks(folder, "probes_b", filmed(people[:PEOPLE, 2], b))
    strangers_b = write_walks(folder, "strangers_b", filmed(people[PEOPLE:, 0], b))
    gallery = folder / "people.gallery"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GAITCLI_CONFIG_DIR", str(tmp_path_factory.getbasetemp() / "camera-config"))
        for name, path in enrol.items():
            assert run_cli(["enroll", "-g", str(gallery), "-n", name, str(path)]) == 0
    return {"gallery": gallery, "names": names, "probes": probes, "strangers_b": strangers_b, "folder": folder, "offsets": (a, b)}


def test_a_camera_profile_grows_into_the_mean_of_all_its_walks():
    rng = np.random.default_rng(0)
    walks = rng.normal(size=(9, DIM))
    grown = CameraProfile.of(walks[:4]).added(walks[4:])
    assert grown.walks == 9
    np.testing.assert_allclose(grown.mean, unit_mean(walks), atol=1e-6)
    assert CameraProfile.from_dict(grown.to_dict(), DIM).walks == 9
    with pytest.raises(ValueError):
        CameraProfile.from_dict(grown.to_dict(), DIM + 1)


def test_moving_walks_between_cameras_and_centring_by_view_take_out_the_cameras_offset():
    rng = np.random.default_rng(1)
    person = rng.normal(size=(5, DIM))
    a, b = 3 * rng.normal(size=(2, DIM))
    seen_a, seen_b = unit_rows(person + a), unit_rows(person + b)
    moved = to_reference(seen_b, unit_mean(seen_b), unit_mean(seen_a))
    # the same people, as far as their differences go: every pair's difference is kept up to scale
    assert np.corrcoef((moved - moved.mean(0)).ravel(), (seen_a - seen_a.mean(0)).ravel())[0, 1] > 0.8
    centred = centred_by_view(np.concatenate([seen_a, seen_b]), ["a"] * 5 + ["b"] * 5)
    np.testing.assert_allclose(centred[:5].mean(0), 0, atol=1e-6)
    np.testing.assert_allclose(centred[5:].mean(0), 0, atol=1e-6)


def _identified(capsys, gallery: Path, probes: Path, *extra: str) -> list[dict]:
    capsys.readouterr()
    assert run_cli(["identify", "-g", str(gallery), str(probes), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_identify_finds_people_filmed_by_a_camera_the_gallery_was_taught(two_cameras, capsys):
    gallery, names = two_cameras["gallery"], two_cameras["names"]
    plain = _identified(capsys, gallery, two_cameras["probes"])
    before = sum(r["candidates"][0]["name"] == n for r, n in zip(plain, names))

    assert run_cli(["gallery", "camera", "B", str(two_cameras["strangers_b"]), "-g", str(gallery), "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["walks"] == PEOPLE and json.loads(out.out)["failures"] == []
    assert "10 or more" not in out.err  # 12 walks: no warning
    answers = _identified(capsys, gallery, two_cameras["probes"], "--camera", "B")
    after = sum(r["candidates"][0]["name"] == n for r, n in zip(answers, names))
    assert all(r["camera"] == "B" for r in answers)
    # the offset is taken out with the strangers' mean, not the probes': every probe comes back
    assert after == PEOPLE and before < PEOPLE // 2, (before, after)

    info = load_gallery(gallery).cameras
    assert list(info) == ["B"] and info["B"].walks == PEOPLE
    assert run_cli(["gallery", "info", "-g", str(gallery), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cameras"]["B"]["walks"] == PEOPLE


def test_an_unknown_camera_is_one_line_naming_the_known_ones(two_cameras, capsys, tmp_path):
    gallery = tmp_path / "copy.gallery"
    gallery.write_bytes(two_cameras["gallery"].read_bytes())
    capsys.readouterr()
    code = run_cli(["identify", "-g", str(gallery), str(two_cameras["probes"]), "--camera", "nope"])
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1 and "no camera 'nope'" in err and "gaitcli gallery camera nope" in err


def test_a_camera_can_be_removed_and_refuses_another_models_walks(two_cameras, capsys, tmp_path):
    gallery = tmp_path / "copy.gallery"
    gallery.write_bytes(two_cameras["gallery"].read_bytes())
    other = write_walks(tmp_path, "other", np.eye(DIM, dtype=np.float32)[:3], fingerprint="another-model")
    capsys.readouterr()
    assert run_cli(["gallery", "camera", "C", str(other), "-g", str(gallery)]) != 0
    assert "cannot be compared" in capsys.readouterr().err
    assert "C" not in load_gallery(gallery).cameras
    assert run_cli(["gallery", "camera", "C", str(two_cameras["strangers_b"]), "-g", str(gallery)]) == 0
    assert run_cli(["gallery", "camera", "C", "--remove", "-g", str(gallery)]) == 0
    assert "C" not in load_gallery(gallery).cameras
    capsys.readouterr()
    assert run_cli(["gallery", "camera", "C", "--remove", "-g", str(gallery)]) == 3
    assert "no camera 'C'" in capsys.readouterr().err


def test_a_camera_taught_from_few_walks_warns(two_cameras, capsys, tmp_path):
    gallery = tmp_path / "copy.gallery"
    gallery.write_bytes(two_cameras["gallery"].read_bytes())
    few = write_walks(tmp_path, "few", np.eye(DIM, dtype=np.float32)[:3])
    capsys.readouterr()
    assert run_cli(["gallery", "camera", "D", str(few), "-g", str(gallery)]) == 0
    assert "has 3 walk(s)" in capsys.readouterr().err


def test_evaluate_takes_each_views_offset_out_across_views(tmp_path, capsys):
    """A CASIA-B-named set of made-up walks whose two views add different offsets: matching across
    views works only once each view's mean is taken out."""
    rng = np.random.default_rng(5)
    people = clusters(PEOPLE, 6, DIM, noise=0.2, seed=12)
    offsets = {view: 4.0 * o / np.linalg.norm(o) for view, o in zip(("000", "090"), rng.normal(size=(2, DIM)))}
    for i in range(PEOPLE):
        folder = tmp_path / "set" / f"{i + 1:03d}"
        folder.mkdir(parents=True)
        for seq in range(6):
            for view, offset in offsets.items():
                write_walks(folder, f"nm-{seq + 1:02d}-{view}", filmed(people[i, seq], offset))
    reports = {}
    for flag in ("--camera-adapt", "--no-camera-adapt"):
        capsys.readouterr()
        assert run_cli(["evaluate", str(tmp_path / "set"), "--preset", "casia-b", "--out", str(tmp_path / flag), "--json", flag]) == 0
        reports[flag] = json.loads(capsys.readouterr().out)
    assert reports["--camera-adapt"]["camera_adapted"] is True and reports["--no-camera-adapt"]["camera_adapted"] is False
    assert reports["--camera-adapt"]["overall"]["rank1"] == pytest.approx(1.0)
    assert reports["--no-camera-adapt"]["overall"]["rank1"] < 0.5


def test_a_taught_camera_identifies_real_people_from_the_front_against_a_side_gallery(shared_data):
    """The UCalgary people (true joints, the benchmark's protocol: 27 enrolled, 46 probes each way):
    gallery walks seen from the side, probes from the front (0 degrees: walking toward the camera),
    and the other way round, through the gallery's own code (Gallery.add_camera_walks +
    identify(camera=...)). The camera is taught with every usable walk it filmed, no names used.

    Without the camera these rows are near chance (docs/model-card.md). Under chance (1/27), 14
    or more of 46 right has probability below 1e-6 (binomial tail): a bound that holds for any
    adaptation that works, far from the benchmark's figures."""
    import bench_realwalks as bench
    import realwalks

    from gaitcli.gallery.store import Gallery

    if not realwalks.ucalgary_available():
        pytest.skip("the UCalgary walks are not in ../shared/data")
    walks = realwalks.load_ucalgary()
    pipeline = bench.Gaitcli()
    model = pipeline.model
    vectors = {(w.person, w.walk, v): pipeline.vector(*realwalks.observe(w, v), w.fps)
               for w in walks if w.excluded is None for v in (0, 90)}
    assert sum(math.comb(46, j) * (1 / 27) ** j * (26 / 27) ** (46 - j) for j in range(14, 47)) < 1e-6
    for gallery_view, probe_view in ((90, 0), (0, 90)):
        right = n = 0
        for gallery_walk, probe_walks in bench.splits(walks):
            gallery = Gallery(model.fingerprint, model.feature_space, model.dimension, default_threshold=model.open_set_threshold)
            people = sorted(gallery_walk)
            gallery.add_walks(people, np.stack([vectors[(p, gallery_walk[p], gallery_view)] for p in people]), people)
            gallery.add_camera_walks("other", np.stack([v for k, v in vectors.items() if k[2] == probe_view]))
            probes = [(p, w) for p in people for w in probe_walks[p]]
            answers = gallery.identify(np.stack([vectors[(p, w, probe_view)] for p, w in probes]), camera="other")
            right += sum(a.candidates[0].name == p for a, (p, _) in zip(answers, probes))
            n += len(probes)
        assert n == 46
        assert right >= 14, (gallery_view, probe_view, right)


def test_enroll_from_a_taught_camera_puts_the_walks_in_the_gallerys_camera(two_cameras, capsys, tmp_path):
    """A newcomer seen only by camera B is enrolled with --camera B and then found among camera A's
    people by a walk from camera A."""
    gallery = tmp_path / "copy.gallery"
    gallery.write_bytes(two_cameras["gallery"].read_bytes())
    assert run_cli(["gallery", "camera", "B", str(two_cameras["strangers_b"]), "-g", str(gallery)]) == 0
    rng = np.random.default_rng(9)
    newcomer = rng.normal(size=DIM)
    newcomer /= np.linalg.norm(newcomer)
    a, b = two_cameras["offsets"]
    seen_b = write_walks(tmp_path, "newcomer_b", filmed(newcomer[None] + 0.05 * rng.normal(size=(2, DIM)), b))
    capsys.readouterr()
    assert run_cli(["enroll", "-g", str(gallery), "-n", "newcomer", "--camera", "B", str(seen_b), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["camera"] == "B"
    seen_a = write_walks(tmp_path, "newcomer_a", filmed(newcomer, a))
    assert _identified(capsys, gallery, seen_a)[0]["candidates"][0]["name"] == "newcomer"
    code = run_cli(["enroll", "-g", str(gallery), "-n", "x", "--camera", "nope", str(seen_b)])
    assert code == 3 and "no camera 'nope'" in capsys.readouterr().err


def test_camera_commands_refuse_bad_names_and_leave_no_lock_behind(two_cameras, capsys, tmp_path):
    missing = tmp_path / "missing.gallery"
    assert run_cli(["gallery", "camera", "door", "--remove", "-g", str(missing)]) == 6
    assert run_cli(["gallery", "remove", "ada", "-g", str(missing)]) == 6
    assert list(tmp_path.iterdir()) == []
    capsys.readouterr()
    for bad in ("", " door", "x" * 201, "a\nb"):
        assert run_cli(["identify", "-g", str(two_cameras["gallery"]), "--camera", bad, str(two_cameras["probes"])]) == 3
        err = capsys.readouterr().err
        assert err.startswith("gaitcli: error: invalid camera name") and err.count("\n") == 1, err


def test_a_walk_given_twice_counts_once_and_csv_names_the_camera(two_cameras, capsys, tmp_path):
    gallery = tmp_path / "copy.gallery"
    gallery.write_bytes(two_cameras["gallery"].read_bytes())
    strangers = str(two_cameras["strangers_b"])
    capsys.readouterr()
    assert run_cli(["gallery", "camera", "E", strangers, strangers, "-g", str(gallery), "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["walks"] == PEOPLE and "given more than once" in out.err
    assert run_cli(["identify", "-g", str(gallery), "--camera", "E", str(two_cameras["probes"]), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(",camera") and all(line.endswith(",E") for line in lines[1:]) and len(lines) == PEOPLE + 1


def test_evaluate_says_why_it_did_not_adapt(tmp_path, capsys):
    people = clusters(3, 6, DIM, seed=2)  # 3 people x 6 walks = 18 walks per view... in one view only 9
    for i in range(3):
        folder = tmp_path / "set" / f"{i + 1:03d}"
        folder.mkdir(parents=True)
        for seq in range(6):
            write_walks(folder, f"nm-{seq + 1:02d}-000", people[i, seq][None])
            if seq % 2 == 0:
                write_walks(folder, f"nm-{seq + 1:02d}-090", people[i, seq][None])
    capsys.readouterr()
    assert run_cli(["evaluate", str(tmp_path / "set"), "--preset", "casia-b", "--out", str(tmp_path / "out"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["camera_adapted"] is False
    assert report["camera_adaptation"] == "not applied: view 090 has 9 walks (each view needs 10)"
