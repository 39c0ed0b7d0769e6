"""Real people: the UCalgary Kinect walks and CMU motion capture as the real-walks benchmark sees them,
the statistics block of the gait model's head, and walks shorter than a gait cycle."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from gaitcli.constants import HEAD_TOP, L_ANKLE, PELVIS, R_ANKLE
from gaitcli.errors import ModelError
from gaitcli.features.sequence import TooFewFramesError, prepare_walk
from gaitcli.gait.checkpoint import GaitCheckpoint
from gaitcli.gait.model import load_gait_model

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import realwalks  # noqa: E402


@pytest.fixture(scope="module")
def ucalgary(shared_data):
    if not realwalks.ucalgary_available():
        pytest.skip("the UCalgary walks are not in ../shared/data")
    return realwalks.load_ucalgary()


def test_kinect_walks_become_level_upright_people_walking_along_x(ucalgary):
    assert len(ucalgary) == 56 and len({w.person for w in ucalgary}) == 28
    walking, drift = 0, []
    for walk in ucalgary:
        j = walk.joints
        assert len(j) >= 30  # 120 frames, less any the sensor lost the walker in (1 s at least)
        stature = np.median(j[:, HEAD_TOP, 1])
        assert 1.3 < stature < 2.2  # metres, feet on the floor (y = 0)
        travel = j[-1, PELVIS] - j[0, PELVIS]
        assert travel[0] > 0 and (travel[0] < 1 or abs(travel[2]) < 0.25 * travel[0])  # along +x (where it walks at all)
        assert abs(travel[1]) < 0.3 and j[:, PELVIS, 1].std() < 0.06  # level: the pelvis keeps its height
        assert np.percentile(j[:, [R_ANKLE, L_ANKLE], 1], 2) > -0.05
        walking += 2.0 < travel[0] < 4.5
        drift.append(abs(travel[1]))
    assert np.median(drift) < 0.05  # metres of height gained or lost over a walk (a few end in sensor glitches)
    assert walking >= 54  # two recordings (person 7 run 1, person 17 run 2) barely move: a bystander's (below)


def test_recordings_that_are_not_a_walk_of_their_subject_are_left_out(ucalgary):
    """Six of the 56 normal runs are not a walk of their subject: two files are copies (subject 10's
    files are subject 4's, subject 22's two runs are one recording) and in three the sensor followed
    someone standing or walking about 2 m to the side of the walkway. The protocols leave them out:
    27 people enrolled, 46 probes, and a person with one usable walk is enrolled but never probed."""
    import bench_realwalks as bench

    excluded = {(w.person, w.walk): w.excluded for w in ucalgary if w.excluded}
    assert set(excluded) == {("ucalgary-10", "run1"), ("ucalgary-10", "run2"), ("ucalgary-22", "run2"),
                             ("ucalgary-07", "run1"), ("ucalgary-17", "run2"), ("ucalgary-21", "run1")}
    assert excluded[("ucalgary-10", "run1")] == "the same file as ucalgary-04 run1"
    assert "off the walkway" in excluded[("ucalgary-17", "run2")]
    parts = bench.splits(ucalgary)
    assert sum(len(ws) for _, probe_walks in parts for ws in probe_walks.values()) == 46
    for gallery_walk, probe_walks in parts:
        assert len(gallery_walk) == 27 and "ucalgary-10" not in gallery_walk
        assert all(not probe_walks[p] for p in ("ucalgary-07", "ucalgary-17", "ucalgary-21", "ucalgary-22"))
        assert all((p, w) not in excluded for p, w in gallery_walk.items())
        assert all((p, w) not in excluded for p, ws in probe_walks.items() for w in ws)


def test_covariates_change_only_the_arms_and_keep_the_bones(ucalgary):
    from gaitcli.constants import L_ELBOW, L_SHOULDER, L_WRIST, R_ELBOW, R_SHOULDER, R_WRIST, THORAX, UPPER_NECK

    walk = ucalgary[3]
    arms = [R_WRIST, R_ELBOW, L_ELBOW, L_WRIST]
    head = [UPPER_NECK, HEAD_TOP]
    for k, name in enumerate(realwalks.REAL_COVARIATES):
        carried = realwalks.with_covariate(walk, name, np.random.default_rng(k))
        assert carried.person == walk.person and carried.walk.endswith(name)
        changed = np.abs(carried.joints - walk.joints).max(axis=(0, 2)) > 1e-9
        allowed = set(arms) | ({R_SHOULDER, L_SHOULDER} if name == "coat" else set()) | (set(head) if name == "texting" else set())
        assert changed.any() and set(np.flatnonzero(changed)) <= allowed, name
        for s, e, w in ((R_SHOULDER, R_ELBOW, R_WRIST), (L_SHOULDER, L_ELBOW, L_WRIST)):
            for a, b in ((s, e), (e, w)):  # bones keep their length (within 3 cm; the recorded ones vary that much)
                before = np.median(np.linalg.norm(walk.joints[:, a] - walk.joints[:, b], axis=-1))
                after = np.linalg.norm(carried.joints[:, a] - carried.joints[:, b], axis=-1)
                assert np.abs(after - before).max() < 0.03 + 3 * np.std(np.linalg.norm(walk.joints[:, a] - walk.joints[:, b], axis=-1)), (name, a, b)
        if name == "phone":  # one wrist held at head height beside it
            wrists = carried.joints[:, [R_WRIST, L_WRIST], 1] - carried.joints[:, THORAX, 1][:, None]
            assert (np.median(wrists, axis=0) > 0.05).sum() == 1
    with pytest.raises(ValueError, match="unknown covariate"):
        realwalks.with_covariate(walk, "umbrella", np.random.default_rng(0))


def test_a_real_walk_rendered_and_seen_by_blazepose_lands_on_its_joints(ucalgary):
    """The benchmark's --engine condition: a UCalgary walk drawn as a figure and run through the
    default pose engine gives joints near the ones the virtual camera projects (a few pixels on a
    walker ~140 px tall), for the plain walk and the bag-carrying one."""
    from gaitcli.pose import load_estimator

    estimator = load_estimator("blazepose", num_threads=1)
    walk = ucalgary[0]
    for carried in (walk, realwalks.with_covariate(walk, "bag", np.random.default_rng(0))):
        ys, xs, ps = realwalks.rendered(carried, 90, estimator, seed=1, look_seed=2)
        true_ys, true_xs, _ = realwalks.observe(carried, 90)
        scale = realwalks.RENDER_SIZE[0] / 720  # observe() films at 720 p
        n = min(len(ys), len(true_ys))
        assert n >= 0.9 * len(true_ys)
        error = np.hypot(ys[:n] - scale * true_ys[:n], xs[:n] - scale * true_xs[:n])
        height = np.median(scale * (true_ys[:, R_ANKLE] - true_ys[:, HEAD_TOP]))
        assert 100 < height < 200
        assert np.median(error) < 0.05 * height and (ps[:n] > 0.3).mean() > 0.7


def test_every_view_sees_the_whole_walker(ucalgary):
    walk = ucalgary[0]
    for view in (0, 45, 90):
        ys, xs, ps = realwalks.observe(walk, view)
        assert np.isfinite(ys).all() and np.isfinite(xs).all() and (ps > 0.3).all()
        assert ys.min() > 0 and xs.min() > 0 and ys.max() < 720 and xs.max() < 1280
    side = realwalks.observe(walk, 90)[1][:, PELVIS]
    front = realwalks.observe(walk, 0)[1][:, PELVIS]
    assert np.ptp(side) > 5 * np.ptp(front)  # crossing the image vs coming toward the camera


def test_the_default_pipeline_tells_real_people_apart_far_above_chance(ucalgary):
    """27 real people, each usable walk enrolled once and the other identified (46 probes), side view.

    Chance is 1/27 (3.7 %). Under chance, 14 or more of 46 right (30 %) has probability below
    1e-6 (binomial tail), so a pipeline that reaches that bound identifies real people; the
    bound is far from the benchmark's score so that it holds for any sound model."""
    import bench_realwalks as bench

    pipeline = bench.Gaitcli()
    features = {(w.person, w.walk): pipeline.vector(*realwalks.observe(w, 90), w.fps) for w in ucalgary if w.excluded is None}
    right = n = 0
    for gallery_walk, probe_walks in bench.splits(ucalgary):
        gallery = {p: [features[(p, w)]] for p, w in gallery_walk.items()}
        probes = {p: [features[(p, w)] for w in ws] for p, ws in probe_walks.items()}
        result = bench.identify("gaitcli", pipeline, gallery, probes)
        right += round(result["rank1"] * result["probes"])
        n += result["probes"]
    assert n == 46
    p_chance = sum(math.comb(n, k) * (1 / 27) ** k * (26 / 27) ** (n - k) for k in range(14, n + 1))
    assert p_chance < 1e-6
    assert right >= 14


def test_real_walks_as_another_tools_keypoint_files_are_identified_through_the_cli(ucalgary, tmp_path, capsys, monkeypatch):
    """The side-view walks of the test above, written as COCO-17 keypoint results (the format of
    AlphaPose, MMPose, Detectron2) and run through the commands a user runs: `enroll --from-folder`
    then `identify --json`, for both gallery/probe splits. The same binomial bound holds (14 or
    more of 46 right has probability below 1e-6 under chance), and every probe gets an answer."""
    import json

    import bench_realwalks as bench

    from gaitcli.cli.main import main
    from walk_fixtures import write_coco

    monkeypatch.setenv("GAITCLI_CONFIG_DIR", str(tmp_path / "config"))
    files = {}
    for w in ucalgary:
        if w.excluded is None:
            files[(w.person, w.walk)] = write_coco(tmp_path / f"{w.person}_{w.walk}.json", *realwalks.observe(w, 90))

    def run(*args) -> str:
        with pytest.raises(SystemExit) as exit_info:
            main([str(a) for a in args])
        out, err = capsys.readouterr()
        assert exit_info.value.code == 0, err
        return out

    right = n = 0
    for k, (gallery_walk, probe_walks) in enumerate(bench.splits(ucalgary)):
        people = tmp_path / f"people{k}"
        for person, walk in gallery_walk.items():
            (people / person).mkdir(parents=True)
            (people / person / f"{walk}.json").write_bytes(files[(person, walk)].read_bytes())
        gallery = tmp_path / f"split{k}.gallery"
        run("enroll", "--gallery", gallery, "--from-folder", people, "--fps", "30")
        probes = [(person, files[(person, walk)]) for person, walks in probe_walks.items() for walk in walks]
        records = json.loads(run("identify", "--gallery", gallery, *[path for _, path in probes], "--fps", "30", "--json"))
        assert [r["input"] for r in records] == [str(path) for _, path in probes]
        right += sum(r["candidates"][0]["name"] == person for r, (person, _) in zip(records, probes))
        n += len(records)
    assert n == 46
    assert right >= 14


@pytest.fixture(scope="module")
def cmu_paces(shared_data):
    walks = realwalks.load_cmu(paces=True)
    if not walks:
        pytest.skip("the CMU walks are not in ../shared/data")
    return walks


def test_cmu_slow_walks_are_slower_than_the_same_persons_normal_walks(cmu_paces):
    """CMU labels some trials "slow walk"; measured from the pelvis, each is slower than every
    normal walk of the same person, and every speed is a human walking pace."""
    speeds = {(w.person, w.walk): realwalks.speed(w) for w in cmu_paces}
    assert all(0.5 < v < 2.5 for v in speeds.values())
    normal = {(w.person, w.walk) for w in realwalks.load_cmu()}
    slow = [k for k in speeds if k not in normal]
    assert len(slow) >= 3
    for person, walk in slow:
        assert speeds[(person, walk)] < min(v for (p, _), v in speeds.items() if p == person and (p, _) in normal)


def test_the_pace_protocol_identifies_people_who_changed_pace(cmu_paces, ucalgary):
    """The change-of-pace rows: each paced person enrolled from one walk among every other person
    (32 in all: UCalgary's subject 10 is a copy of subject 4; chance 1/32), their other walks
    identified, side view, true joints.

    The pairs share gallery walks (19: 11 of one person, 8 of the other), so they are not
    independent. In the most correlated case each gallery walk's 7 or 10 probes are right or
    wrong together; then 25 % of the 166 pairs right needs at least 5 gallery walks right, which
    under chance has probability at most C(19, 5) / 32^5 < 1e-3. So the bound is far above
    chance even without independence, and far below what a sound model scores."""
    import bench_realwalks as bench

    rows = bench.pace_rows(cmu_paces, ucalgary, bench.Gaitcli(), False, lambda line: None, views=(90,))
    (row,) = rows
    assert len(row["pace_people"]) == 2 and row["distractors"] + 1 == 32
    walks = [sum(w.person == p for w in cmu_paces) for p in row["pace_people"]]
    assert sorted(walks) == [8, 11]
    for method in ("gaitcli", "reference"):
        cells = row[method]
        assert [name for name, _ in bench.PACE_BINS] == list(cells)
        assert sum(c["pairs"] for c in cells.values()) == sum(n * (n - 1) for n in walks) == 166
    right = sum(round(c["rank1"] * c["pairs"]) for c in row["gaitcli"].values() if c["pairs"])
    assert math.comb(19, 5) / 32**5 < 1e-3
    assert right >= 0.25 * 166


def test_the_benchmark_enrols_a_person_from_several_views():
    """``identify`` with people enrolled from two vectors each (one walk seen from two views): a
    probe near either of a person's vectors is theirs, and the strangers' pass leaves each person
    out whole (all of their vectors)."""
    import bench_realwalks as bench

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(6, 2, 32))  # six people, each seen from two "views" far apart
    gallery = {f"p{i}": [c[0], c[1]] for i, c in enumerate(centres)}
    probes = {f"p{i}": [c[k] + 0.05 * rng.normal(size=32)] for i, c in enumerate(centres) for k in (i % 2,)}
    result = bench.identify("gaitcli", bench.Gaitcli(), gallery, probes)
    assert result["probes"] == 6 and result["people"] == 6
    assert result["rank1"] == 1.0
    reference = bench.identify("reference", bench.Gaitcli(), gallery, probes)
    assert reference["rank1"] == 1.0 and 0.0 <= reference["unknown"] <= 1.0


def test_the_input_blocks_are_stored_fingerprinted_and_checked(tmp_path):
    model = load_gait_model()
    head = model.checkpoint.head
    assert head is not None and head.has_block and head.open_set_threshold is not None
    assert model.dimension == head.discriminants + head.statistics_size + head.gait_size + head.proportions_size
    path = model.checkpoint.save(tmp_path / "m.npz")
    back = GaitCheckpoint.load(path)
    assert back.fingerprint == model.fingerprint and back.head.meta() == head.meta()
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    edited = dict(arrays, **{"head/block_scale": arrays["head/block_scale"] * 1.01})
    np.savez(tmp_path / "edited.npz", **edited)
    with pytest.raises(ModelError, match="fingerprint"):
        GaitCheckpoint.load(tmp_path / "edited.npz")
    np.savez(tmp_path / "partial.npz", **{k: v for k, v in arrays.items() if k != "head/block_mean"})
    with pytest.raises(ModelError, match="lacks head array head/block_mean"):
        GaitCheckpoint.load(tmp_path / "partial.npz")
    # the vector: [w_d * discriminants, w_b * body statistics, w_a * arm statistics, w_g * network
    # vector], each block of unit length before its weight, the inputs standardised by the
    # background population
    from gaitcli.features.walk_statistics import joint_columns
    from gaitcli.training.gait_config import BLOCK_PROPORTION_WEIGHT, BLOCK_WEIGHTS

    rng = np.random.default_rng(0)
    x = head.block_mean + head.block_scale * rng.normal(size=(3, head.statistics_size + head.gait_size))
    stats, net = x[:, : head.statistics_size], x[:, head.statistics_size :]
    proportions = head.proportion_mean + head.proportion_scale * rng.normal(size=(3, head.proportions_size))
    v = head.apply(stats, net, proportions)
    k, p = head.discriminants, head.statistics_size
    w_d, w_b, w_a, w_g, w_p = head.block_weights
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(v[:, :k], w_d * head.without_blocks().apply(stats, net), atol=1e-5)
    z = (x - head.block_mean) / head.block_scale
    arms = joint_columns(head.arm_joints, p)
    a = int(arms.sum())
    parts = ((slice(k, k + p - a), z[:, :p][:, ~arms], w_b), (slice(k + p - a, k + p), z[:, :p][:, arms], w_a),
             (slice(k + p, k + p + head.gait_size), z[:, p:], w_g),
             (slice(k + p + head.gait_size, None), (proportions - head.proportion_mean) / head.proportion_scale, w_p))
    for block, part, weight in parts:
        np.testing.assert_allclose(v[:, block], weight * part / np.linalg.norm(part, axis=1, keepdims=True), atol=1e-4)
    # the recorded weights: as documented (the arms half, the rest equal)
    weights = np.array([*BLOCK_WEIGHTS, BLOCK_PROPORTION_WEIGHT])
    np.testing.assert_allclose(head.block_weights, weights / np.linalg.norm(weights), atol=1e-9)
    assert BLOCK_WEIGHTS == (1.0, 1.0, 0.5, 1.0) and BLOCK_PROPORTION_WEIGHT == 1.0
    with pytest.raises(ValueError, match="block weights"):
        head.with_blocks(head.block_mean, head.block_scale, (0, 0, 0), "none")


def _walk(seconds: float, fps: float = 30.0):
    from gaitcli.synth.dataset import make_sequences

    (_, ys, xs, ps, meta), = make_sequences(1, 1, 5, fps=fps, seconds=4.0, covariate_share=0.0)
    n = int(round(seconds * fps))
    return ys[:n], xs[:n], ps[:n], fps


def test_walks_from_half_a_second_are_embedded_with_a_warning():
    model = load_gait_model()
    short = prepare_walk(*_walk(0.7))
    assert 0.5 <= short.seconds < 1.0 and "shorter than a gait cycle" in short.warning
    vector = model.embed_walk(short)
    assert vector.shape == (model.dimension,) and np.isfinite(vector).all()
    assert prepare_walk(*_walk(3.0)).warning is None
    with pytest.raises(TooFewFramesError, match="at least 0.5 s .about half a gait cycle"):
        prepare_walk(*_walk(0.4))


def test_embed_cli_warns_about_a_short_walk(tmp_path):
    import json
    import subprocess

    ys, xs, ps, fps = _walk(0.7)
    from gaitcli.constants import JOINT_NAMES

    frames = [{"index": i, "people": [{"joints": [[float(xs[i, j]), float(ys[i, j]), float(ps[i, j])] for j in range(len(JOINT_NAMES))]}]}
              for i in range(len(ys))]
    path = tmp_path / "short.json"
    path.write_text(json.dumps({"format": "gaitcli.pose/1", "joint_names": list(JOINT_NAMES), "fps": fps, "frames": frames}))
    done = subprocess.run([sys.executable, "-m", "gaitcli.cli.main", "embed", str(path), "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "shorter than a gait cycle" in done.stderr
    record = json.loads(done.stdout)[0]
    assert 0.5 <= record["walk_seconds"] < 1.0 and "shorter than a gait cycle" in record["warning"]
    # enroll and identify say it too, once per short walk, and still use it
    from gallery_fixtures import CLI, cli_env

    env = cli_env(tmp_path)
    gallery = tmp_path / "people.gallery"
    done = subprocess.run([*CLI, "enroll", "-g", str(gallery), "-n", "short", str(path)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("shorter than a gait cycle") == 1
    done = subprocess.run([*CLI, "identify", "-g", str(gallery), str(path), "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("shorter than a gait cycle") == 1 and json.loads(done.stdout)[0]["name"] == "short"
