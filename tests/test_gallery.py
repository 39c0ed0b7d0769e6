"""The gallery library: vectors files, the SVM classifier and its exact incremental refits, the signed file."""

from __future__ import annotations

import io
import os
import pickle
import stat

import joblib
import numpy as np
import pytest

from gaitcli.errors import GalleryError, InputError
from gaitcli.gallery import classifier
from gaitcli.gallery.signing import HEADER_SIZE, key_path
from gaitcli.gallery.store import UNKNOWN, Gallery, load_gallery, save_gallery
from gaitcli.gallery.vectors import load_vectors, meta_path, save_vectors
from gallery_fixtures import FEATURE_SPACE, FINGERPRINT, clusters

DIM = 32


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """Every test signs with its own fresh key, never the user's."""
    folder = tmp_path / "config"
    monkeypatch.setenv("GAITCLI_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def people():
    """8 people x 5 walks, clearly clustered; the 9th and 10th are never enrolled."""
    return clusters(10, 5, DIM, seed=1)


def make_gallery(people, n_people=8, walks=slice(0, 4)) -> Gallery:
    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, DIM)
    for p in range(n_people):
        vectors = people[p, walks]
        gallery.add(f"person {p}", vectors, [f"p{p}w{w}" for w in range(len(vectors))])
    return gallery


@pytest.fixture(scope="module")
def enrolled(people):
    return make_gallery(people)


# --- vectors files -------------------------------------------------------------------------


def test_vectors_round_trip(tmp_path):
    vectors = clusters(1, 3, DIM)[0]
    path = save_vectors(tmp_path / "walks.npy", vectors, {"model_fingerprint": "m1", "feature_space": "fs", "sources": ["a", "b", "c"], "engine": "x"})
    assert meta_path(path).name == "walks.npy.json"
    loaded, meta = load_vectors(path)
    np.testing.assert_array_equal(loaded, vectors)
    assert loaded.dtype == np.float32
    assert meta["model_fingerprint"] == "m1" and meta["feature_space"] == "fs" and meta["dim"] == DIM
    assert meta["sources"] == ["a", "b", "c"] and meta["engine"] == "x"
    one = save_vectors(tmp_path / "one.npy", vectors[0], {"model_fingerprint": "m1", "feature_space": "fs"})
    loaded, meta = load_vectors(one)
    assert loaded.shape == (1, DIM) and meta["sources"] == ["one.npy#0"]
    assert not list(tmp_path.glob("*.tmp"))


def test_vectors_bad_files(tmp_path):
    good = save_vectors(tmp_path / "good.npy", np.ones(DIM), {"model_fingerprint": "m", "feature_space": "f"})
    with pytest.raises(InputError, match="does not exist"):
        load_vectors(tmp_path / "missing.npy")
    with pytest.raises(InputError, match=r"\.npy"):
        save_vectors(tmp_path / "walks.txt", np.ones(DIM), {"model_fingerprint": "m", "feature_space": "f"})
    # no sidecar: the vectors' gait model is unknown
    np.save(tmp_path / "bare.npy", np.ones((2, DIM), np.float32))
    with pytest.raises(InputError, match="meta file"):
        load_vectors(tmp_path / "bare.npy")
    # pickled objects are never loaded
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="not a readable"):
        load_vectors(tmp_path / "objects.npy")
    # truncated array
    data = good.read_bytes()
    good.write_bytes(data[: len(data) - 10])
    with pytest.raises(InputError, match="not a readable"):
        load_vectors(good)
    # NaN values
    nan = np.ones((1, DIM), np.float32)
    nan[0, 3] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    meta_path(tmp_path / "nan.npy").write_text(meta_path(good).read_text())
    with pytest.raises(InputError, match="NaN"):
        load_vectors(tmp_path / "nan.npy")


# --- classifier ---------------------------------------------------------------------------------


def test_leave_one_walk_out_identified_and_strangers_unknown(people, enrolled):
    assert enrolled.model.mode == "svm"
    calibration = enrolled.model.calibration
    assert calibration["source"] == "calibrated"
    assert calibration["genuine"] == 8 * min(4, classifier.CALIBRATION_WALKS) and calibration["impostor"] == 8 * 4
    assert calibration["genuine_min"] > enrolled.model.threshold > calibration["impostor_max"]

    answers = enrolled.identify(people[:8, 4], top_k=3)  # the walk each person did not enroll
    assert [a.name for a in answers] == [f"person {p}" for p in range(8)]
    for answer in answers:
        assert len(answer.candidates) == 3
        assert answer.candidates[0].name == answer.name and answer.candidates[0].score == answer.score
        assert answer.candidates[0].score > answer.candidates[1].score >= answer.candidates[2].score

    strangers = enrolled.identify(people[8:].reshape(-1, DIM))
    assert {a.name for a in strangers} == {UNKNOWN}
    assert all(a.candidates[0].name.startswith("person") for a in strangers)  # the best guess is still listed
    # overriding the threshold: below every score, strangers get a name
    assert all(a.name != UNKNOWN for a in enrolled.identify(people[8, :1], threshold=-10.0))


def test_a_calibrated_threshold_is_shrunk_toward_the_gait_models(people, enrolled):
    labels = np.repeat(np.arange(8), 4)
    own = enrolled.model.calibration  # no model threshold: the gallery's own estimate
    assert own["source"] == "calibrated" and "prior" not in own
    measured, scores_each = enrolled.model.threshold, min(own["genuine"], own["impostor"])
    rates = []
    for prior in (-0.5, 0.0, 0.4):
        model = classifier.fit(people[:8, :4].reshape(-1, DIM), labels, 8, default_threshold=prior)
        info = model.calibration
        assert info["source"] == "calibrated, shrunk toward the gait model's threshold"
        assert info["measured"] == pytest.approx(measured) and info["prior"] == prior
        weight = scores_each / (scores_each + classifier.PRIOR_STRENGTH)
        assert info["weight"] == pytest.approx(weight) and 0.4 < weight < 0.5  # 16 genuine, 32 impostor scores
        assert model.threshold == pytest.approx(weight * measured + (1 - weight) * prior)
        rates.append((info["frr"], info["far"]))  # measured at the threshold used
    frr, far = zip(*rates)
    assert list(frr) == sorted(frr) and list(far) == sorted(far, reverse=True) and far[0] > far[-1]


def test_scores_are_cosine_normalised_decision_values(people, enrolled):
    model = enrolled.model
    np.testing.assert_allclose(model.center, classifier.common_component(enrolled.vectors), atol=1e-6)
    probe = people[0, 4] * 3.0  # the probe's length does not matter
    table = classifier.scores(model, enrolled.vectors, enrolled.labels, probe[None])
    unit = people[0, 4] / np.linalg.norm(people[0, 4])
    centred = (unit - model.center) / np.linalg.norm(unit - model.center)
    expected = (model.coef @ centred + model.intercept[:, 0]) / np.linalg.norm(model.coef, axis=1)
    np.testing.assert_allclose(table[0], expected, rtol=1e-5, atol=1e-6)


def test_centring_makes_the_svm_indifferent_to_a_shared_component(people):
    """Gait vectors may all share one big component (every pair at cosine ~0.99): same answers."""
    shared = np.zeros(DIM, np.float32)
    shared[0] = 12.0
    crowded = people + shared
    crowded /= np.linalg.norm(crowded, axis=-1, keepdims=True)
    assert (crowded[0, 0] @ crowded[1, 0]) > 0.98
    gallery = make_gallery(crowded)
    assert gallery.model.calibration["source"] == "calibrated"
    assert [a.name for a in gallery.identify(crowded[:8, 4])] == [f"person {p}" for p in range(8)]
    assert {a.name for a in gallery.identify(crowded[8:].reshape(-1, DIM))} == {UNKNOWN}


def _full_ovr_scores(vectors, labels, n_classes, probes, center):
    """Reference: one LinearSVC per person trained on the whole gallery and the average walker
    (the origin, a negative of everybody; no working sets)."""
    from sklearn.svm import LinearSVC

    X = np.concatenate([classifier.features(vectors, center), np.zeros((1, vectors.shape[1]), np.float32)])
    labels = np.append(labels, -1)
    rows = []
    for c in range(n_classes):
        svm = LinearSVC(C=classifier.SVM_C, loss="squared_hinge", dual=True, tol=1e-6, max_iter=100_000, random_state=0)
        svm.fit(X, np.where(labels == c, 1, -1))
        w, b = svm.coef_[0], svm.intercept_[0]
        rows.append((classifier.features(probes, center) @ w + b) / np.linalg.norm(w))
    return np.stack(rows, axis=1)


def test_working_sets_give_the_svm_of_the_whole_gallery(monkeypatch):
    data = clusters(30, 4, DIM, noise=0.8, seed=3)  # overlapping people: many support vectors
    vectors, labels = data.reshape(-1, DIM), np.repeat(np.arange(30), 4)
    monkeypatch.setattr(classifier, "INITIAL_NEGATIVES", 5)  # force several working-set rounds
    model = classifier.fit(vectors, labels, 30)
    probes = clusters(30, 1, DIM, noise=0.8, seed=4)[:, 0]
    ours = classifier.scores(model, vectors, labels, probes)
    np.testing.assert_allclose(ours, _full_ovr_scores(vectors, labels, 30, probes, model.center), atol=2e-3)


def test_incremental_refits_equal_a_full_refit(monkeypatch):
    monkeypatch.setattr(classifier, "FULL_REFIT_MAX", 0)  # take the large-gallery path at any size
    data = clusters(12, 5, DIM, noise=0.8, seed=5)
    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, DIM)
    gallery.add_walks([f"p{p}" for p in range(12) for _ in range(4)], data[:, :4].reshape(-1, DIM), ["s"] * 48)
    assert gallery.model.calibration["refit_people"] == 12  # first fit: everyone
    gallery.add("p3", data[3, 4:], ["new walk"])
    assert gallery.model.calibration["refit_people"] < 12  # only p3 and the SVMs the walk touched
    gallery.add("newcomer", clusters(1, 3, DIM, seed=6)[0], ["a", "b", "c"])
    gallery.remove(["p7"])
    # the centre stays that of the last full refit, so that every walk's features stay fixed
    np.testing.assert_allclose(gallery.model.center, classifier.common_component(data[:, :4].reshape(-1, DIM)), atol=1e-6)
    probes = data[:, 4]
    np.testing.assert_allclose(
        classifier.scores(gallery.model, gallery.vectors, gallery.labels, probes),
        _full_ovr_scores(gallery.vectors, gallery.labels, len(gallery.names), probes, gallery.model.center),
        atol=2e-3,
    )


BLOCKS = ((0, 8, 2.0), (8, 20, 1.0), (20, DIM, 1.0))  # weights sum to 4: scaled to 0.5, 0.25, 0.25


def test_blocks_scored_apart_are_the_weighted_sum_of_one_svm_per_block():
    data = clusters(12, 5, DIM, noise=0.8, seed=7)
    vectors, labels = data[:, :4].reshape(-1, DIM), np.repeat(np.arange(12), 4)
    probes = data[:, 4]
    model = classifier.fit(vectors, labels, 12, blocks=BLOCKS)
    assert model.blocks == ((0, 8, 0.5), (8, 20, 0.25), (20, DIM, 0.25)) and model.intercept.shape == (12, 3)
    expected = sum(weight * classifier.scores(classifier.fit(vectors[:, a:b], labels, 12), vectors[:, a:b], labels, probes[:, a:b])
                   for a, b, weight in model.blocks)
    np.testing.assert_allclose(classifier.scores(model, vectors, labels, probes), expected, atol=1e-4)
    # the calibration's left-out scores are summed the same way: a threshold inside the sums' range
    assert model.calibration["source"] == "calibrated" and model.calibration["genuine"] == 24
    assert model.calibration["impostor_max"] < 1.0 and model.calibration["genuine_min"] > -1.0
    # one block is the whole vector: exactly the classifier without blocks
    whole = classifier.fit(vectors, labels, 12, blocks=((0, DIM, 3.0),))
    plain = classifier.fit(vectors, labels, 12)
    np.testing.assert_array_equal(classifier.scores(whole, vectors, labels, probes), classifier.scores(plain, vectors, labels, probes))
    assert whole.threshold == plain.threshold


def test_a_block_with_nothing_measured_scores_its_bias_only():
    data = clusters(6, 3, DIM, noise=0.5, seed=8)
    vectors, labels = data[:, :2].reshape(-1, DIM), np.repeat(np.arange(6), 2)
    model = classifier.fit(vectors, labels, 6, blocks=BLOCKS)
    probe = data[:, 2].copy()
    probe[:, 20:] = 0.0  # e.g. body proportions that could not be measured
    table = classifier.scores(model, vectors, labels, probe)
    assert np.all(np.isfinite(table))
    assert (table.argmax(axis=1) == np.arange(6)).mean() >= 5 / 6  # the other blocks still name them
    vectors[0, 20:] = 0.0  # in an enrolled walk too
    assert np.all(np.isfinite(classifier.scores(classifier.fit(vectors, labels, 6, blocks=BLOCKS), vectors, labels, probe)))


@pytest.mark.parametrize("bad", [((0, 8, 1.0), (9, DIM, 1.0)), ((0, 8, 1.0), (8, 30, 1.0)), ((0, 8, 0.0), (8, DIM, 1.0)),
                                 ((0, 8, float("nan")), (8, DIM, 1.0)), ((8, 0, 1.0),), "blocks", ((0, DIM),),
                                 ((0, 8.5, 1.0), (8.5, DIM, 1.0)), ((0, 8, True), (8, DIM, 1.0)), (("0", "8", "1"), ("8", "32", "1")),
                                 ((0, 8, 1e-300), (8, DIM, 1.0))])
def test_malformed_blocks_are_refused(bad):
    with pytest.raises(ValueError, match="blocks"):
        classifier.check_blocks(bad, DIM)


def test_blocks_go_with_the_gallery_and_an_older_classifier_is_refit_apart(people, tmp_path):
    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, DIM, score_blocks=BLOCKS)
    for p in range(4):
        gallery.add(f"p{p}", people[p, :2], ["a", "b"])
    assert gallery.model.blocks == classifier.check_blocks(BLOCKS, DIM)
    save_gallery(gallery, tmp_path / "g.gallery")
    back = load_gallery(tmp_path / "g.gallery")
    assert back.score_blocks == gallery.model.blocks == back.model.blocks
    np.testing.assert_array_equal(back.score_table(people[:4, 4]), gallery.score_table(people[:4, 4]))
    payload = gallery.to_payload()
    old = classifier.fit(gallery.vectors, gallery.labels, 4).to_dict()  # as an earlier gaitcli wrote it: one SVM over the whole vector
    del old["blocks"]
    old["intercept"], old["version"] = old["intercept"][:, 0], 3
    payload["classifier"] = old
    migrated = Gallery.from_payload(payload)
    assert migrated.model.blocks == gallery.model.blocks
    np.testing.assert_allclose(migrated.score_table(people[:4, 4]), gallery.score_table(people[:4, 4]), atol=1e-6)
    payload["score_blocks"] = [[0, 8, 1.0]]  # does not cover the vector
    with pytest.raises(ValueError):
        Gallery.from_payload(payload)


def test_incremental_refits_with_blocks_equal_a_full_refit(monkeypatch):
    data = clusters(10, 5, DIM, noise=0.8, seed=9)
    names = [f"p{p}" for p in range(10) for _ in range(4)]
    monkeypatch.setattr(classifier, "FULL_REFIT_MAX", 0)
    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, DIM, score_blocks=BLOCKS)
    gallery.add_walks(names, data[:, :4].reshape(-1, DIM), ["s"] * 40)
    gallery.add("p3", data[3, 4:], ["new walk"])
    assert gallery.model.calibration["refit_people"] < 10
    gallery.remove(["p7"])
    model, probes = gallery.model, clusters(10, 1, DIM, noise=0.8, seed=10)[:, 0]
    expected = sum(weight * _full_ovr_scores(gallery.vectors[:, a:b], gallery.labels, 9, probes[:, a:b], model.center[a:b])
                   for a, b, weight in model.blocks)  # every block's SVMs of the whole gallery, on the last full refit's centres
    np.testing.assert_allclose(classifier.scores(model, gallery.vectors, gallery.labels, probes), expected, atol=2e-3)


def test_min_error_threshold():
    assert classifier.min_error_threshold(np.array([0.5, 0.7]), np.array([-0.2, 0.1])) == pytest.approx(0.3)
    # overlapping scores: the threshold that makes the fewest errors (one impostor at 0.6 accepted)
    threshold = classifier.min_error_threshold(np.array([0.2, 0.5, 0.7, 0.8]), np.array([-0.5, -0.3, 0.0, 0.6]))
    assert 0.0 < threshold <= 0.2


def test_one_person_gallery_is_distance_based(people):
    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, DIM)
    gallery.add("solo", people[0, :4], ["a", "b", "c", "d"])
    assert gallery.model.mode == "cosine" and gallery.model.threshold == classifier.DEFAULT_COSINE_THRESHOLD
    own, other = gallery.identify(np.stack([people[0, 4], people[5, 0]]))
    assert own.name == "solo" and own.score == pytest.approx(float(np.max(people[0, :4] @ people[0, 4])), abs=1e-5)
    assert other.name == UNKNOWN and other.score < 0.5


def test_common_component_is_what_the_walks_share():
    rng = np.random.default_rng(3)
    shared = rng.normal(size=64)
    shared /= np.linalg.norm(shared)
    noise = rng.normal(size=(40, 64))
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    raw = 0.99 * shared + 0.14 * noise  # a network's raw vectors: every pair at cosine ~0.98
    centre = classifier.common_component(raw)
    assert centre @ shared == pytest.approx(0.99, abs=0.02) and np.linalg.norm(centre) == pytest.approx(0.99, abs=0.02)
    # vectors centred on a background population share nothing: a few walks' mean is not removed
    few = noise[:3]
    assert np.linalg.norm(classifier.normalise(few).mean(axis=0)) > 0.5
    assert np.linalg.norm(classifier.common_component(few)) < 0.1


def test_two_person_gallery(people):
    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, DIM)
    gallery.add("a", people[0, :2], ["1", "2"])
    gallery.add("b", people[1, :1], ["3"])
    assert gallery.model.mode == "svm"
    assert gallery.model.calibration["source"].startswith("default")  # no third person to be an impostor
    assert gallery.model.threshold == 0.0  # the SVMs' own decision
    assert [x.name for x in gallery.identify(np.stack([people[0, 4], people[1, 4], people[8, 0]]))] == ["a", "b", UNKNOWN]


def test_one_walk_each_the_average_walker_is_nobody(people):
    """Three people, one walk each: nothing to calibrate on. Their other walks are named, while a
    walk at the centre of the vectors (the average walker) and strangers are nobody."""
    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, DIM)
    for k in range(3):
        gallery.add(f"p{k}", people[k, :1], [str(k)])
    assert gallery.model.calibration["source"].startswith("default") and gallery.model.threshold == 0.0
    average = np.full((1, DIM), 1e-3, np.float32) + gallery.model.center  # (nearly) the origin of the features
    answers = gallery.identify(np.concatenate([people[:3, 3], people[8:, 0], average]))
    assert [a.name for a in answers] == ["p0", "p1", "p2", UNKNOWN, UNKNOWN, UNKNOWN]
    assert answers[-1].score < 0 < min(a.score for a in answers[:3])


def test_a_gait_models_one_walk_threshold_is_kept_and_used_until_the_gallery_can_calibrate(people):
    gallery = Gallery(FINGERPRINT, FEATURE_SPACE, DIM, default_threshold=-0.2)
    for k in range(3):
        gallery.add(f"p{k}", people[k, :1], [str(k)])
    assert gallery.model.threshold == -0.2
    back = Gallery.from_payload(gallery.to_payload())
    assert back.default_threshold == -0.2 and back.model.threshold == -0.2
    back.add("p0", people[0, 1:3], ["a", "b"])  # now someone has several walks: calibrated, and shrunk to the model's
    assert back.model.calibration["source"] == "calibrated, shrunk toward the gait model's threshold"
    assert back.model.calibration["prior"] == -0.2 and back.model.threshold != -0.2
    payload = gallery.to_payload()
    payload["default_threshold"] = "x"
    with pytest.raises(ValueError):
        Gallery.from_payload(payload)


def test_galleries_of_an_older_classifier_are_refit_on_load(people, tmp_path):
    gallery = make_gallery(people, n_people=3)
    payload = gallery.to_payload()
    payload["classifier"]["version"] = 1  # written by an earlier gaitcli
    stale = Gallery.from_payload(payload)
    assert stale.model.version == classifier.CLASSIFIER_VERSION
    np.testing.assert_allclose(stale.model.coef, gallery.model.coef, atol=1e-6)


def test_empty_gallery_refuses_to_identify(people):
    gallery = make_gallery(people, n_people=2)
    gallery.remove(["person 0", "person 1"])
    assert gallery.model.mode == "empty" and gallery.n_walks == 0
    with pytest.raises(GalleryError, match="empty"):
        gallery.identify(people[0, :1])


def test_names_and_removal(people):
    gallery = make_gallery(people, n_people=3)
    for bad in ("", " padded", "two\nlines", "Unknown"):
        with pytest.raises(InputError):
            gallery.add(bad, people[0, :1], ["x"])
    with pytest.raises(InputError, match="not in the gallery: nobody"):
        gallery.remove(["nobody"])
    assert gallery.remove(["person 1"]) == 4
    assert gallery.walk_counts() == {"person 0": 4, "person 2": 4}
    assert set(gallery.sources) == {f"p{p}w{w}" for p in (0, 2) for w in range(4)}
    assert [a.name for a in gallery.identify(np.stack([people[0, 4], people[2, 4]]))] == ["person 0", "person 2"]


# --- the file --------------------------------------------------------------------------------------


def test_file_round_trip_and_permissions(tmp_path, people, enrolled, config_dir):
    path = tmp_path / "g.gallery"
    save_gallery(enrolled, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_path().stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
    loaded = load_gallery(path)
    assert loaded.signed
    assert loaded.names == enrolled.names and loaded.sources == enrolled.sources
    assert loaded.enrolled == enrolled.enrolled and loaded.created == enrolled.created
    assert (loaded.model_fingerprint, loaded.feature_space, loaded.dim) == (FINGERPRINT, FEATURE_SPACE, DIM)
    np.testing.assert_array_equal(loaded.vectors, enrolled.vectors)
    assert loaded.model.threshold == enrolled.model.threshold
    assert [a.name for a in loaded.identify(people[:, 4])] == [a.name for a in enrolled.identify(people[:, 4])]


def test_tampered_file_is_refused(tmp_path, enrolled):
    path = tmp_path / "g.gallery"
    save_gallery(enrolled, path)
    data = bytearray(path.read_bytes())
    for position in (HEADER_SIZE + len(data) // 2, HEADER_SIZE - 5):  # a payload byte, a signature byte
        tampered = bytearray(data)
        tampered[position] ^= 0x01
        path.write_bytes(bytes(tampered))
        with pytest.raises(GalleryError, match="signature check"):
            load_gallery(path)


def test_unsigned_file_needs_trust_and_is_signed_on_save(tmp_path, enrolled):
    path = tmp_path / "plain.gallery"
    joblib.dump(enrolled.to_payload(), path)  # what a script (or an attacker) would write
    with pytest.raises(GalleryError, match="not signed.*--trust"):
        load_gallery(path)
    trusted = load_gallery(path, trust=True)
    assert not trusted.signed and trusted.names == enrolled.names
    save_gallery(trusted, path)
    assert load_gallery(path).signed


def test_another_users_key_is_refused(tmp_path, enrolled, monkeypatch):
    path = tmp_path / "g.gallery"
    save_gallery(enrolled, path)
    monkeypatch.setenv("GAITCLI_CONFIG_DIR", str(tmp_path / "someone else"))
    with pytest.raises(GalleryError, match="no signing key"):
        load_gallery(path)
    assert load_gallery(path, trust=True).names == enrolled.names


class _Exploit:
    """Unpickling this creates a file: proof that a pickle ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_nothing_is_unpickled_before_the_signature_check(tmp_path, enrolled):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.gallery"
    save_gallery(enrolled, path)
    signed = path.read_bytes()
    evil = pickle.dumps(_Exploit(marker))
    # a forged envelope (right header, wrong signature) and a bare pickle
    forged = signed[: len(b"gaitcli-gallery\n")] + len(evil).to_bytes(8, "little") + signed[24:HEADER_SIZE] + evil
    for data in (forged, evil):
        path.write_bytes(data)
        with pytest.raises(GalleryError):
            load_gallery(path)
        assert not marker.exists()


def test_truncated_or_corrupt_file_is_a_clear_error(tmp_path, enrolled):
    path = tmp_path / "g.gallery"
    save_gallery(enrolled, path)
    data = path.read_bytes()
    for size in (0, 7, HEADER_SIZE - 1, HEADER_SIZE + 10, len(data) - 1):
        path.write_bytes(data[:size])
        with pytest.raises(GalleryError, match="(truncated|empty).*move it aside and enroll again"):  # enroll refuses the file
            load_gallery(path, trust=True)
    path.write_bytes(b"hello, not a gallery at all")
    with pytest.raises(GalleryError, match="corrupt or not a gaitcli gallery.*move it aside"):
        load_gallery(path, trust=True)
    with pytest.raises(GalleryError, match="no gallery at"):
        load_gallery(tmp_path / "missing.gallery")


def test_newer_format_and_other_model_are_refused(tmp_path, enrolled):
    payload = enrolled.to_payload()
    payload["version"] = 99
    buffer = io.BytesIO()
    joblib.dump(payload, buffer)
    path = tmp_path / "future.gallery"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(GalleryError, match="newer gaitcli"):
        load_gallery(path, trust=True)
    with pytest.raises(GalleryError, match="re-enroll"):
        enrolled.check_compatible("another-model", FEATURE_SPACE, DIM, what="these vectors")
    with pytest.raises(GalleryError, match="re-enroll"):
        enrolled.check_compatible(FINGERPRINT, "another-feature-space", DIM, what="these vectors")
    enrolled.check_compatible(FINGERPRINT, FEATURE_SPACE, DIM, what="these vectors")


def test_a_key_readable_by_others_is_refused(tmp_path, enrolled):
    save_gallery(enrolled, tmp_path / "g.gallery")
    os.chmod(key_path(), 0o644)
    with pytest.raises(GalleryError, match="chmod 600"):
        load_gallery(tmp_path / "g.gallery")
