"""The BlazePose model files: download from a (fake, local) package index, verification, cache.

No test here touches the network: ``gaitcli.pose.assets._urlopen`` is replaced by a server of
a locally built fake wheel, and the expected hashes are those of the fake files.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import urllib.error
import zipfile
from pathlib import Path

import pytest

from gaitcli.cli.main import main
from gaitcli.errors import ModelError
from gaitcli.pose import assets, person_model

DETECTOR_BYTES = b"fake detector model " * 50
PERSON_GRAPH = b"fake person graph " * 30
LANDMARK_BYTES = b"fake landmark model " * 80


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wheel(detector: bytes = DETECTOR_BYTES, landmarks: bytes = LANDMARK_BYTES) -> bytes:
    """A fake wheel; the same contents always give the same bytes (fixed zip timestamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in (
            ("mediapipe/__init__.py", b""),
            (assets.MODEL_FILES["detector"][0], detector),
            (assets.MODEL_FILES["landmarks"][0], landmarks),
        ):
            z.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 31, 0, 0, 0)), data)
    return buffer.getvalue()


def _person_wheel(graph: bytes = PERSON_GRAPH) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo(person_model.GRAPH_PATH, date_time=(2025, 1, 31, 0, 0, 0)), graph)
    return buffer.getvalue()


class _Response(io.BytesIO):
    def __init__(self, body: bytes, content_type: str):
        super().__init__(body)
        self.headers = {"Content-Type": content_type, "Content-Length": str(len(body))}


class FakeIndex:
    """Serves the project page (JSON or HTML) and the wheel; records the URLs asked for."""

    def __init__(self, wheel: bytes, html: bool = False, listed_sha: str | None = None):
        self.wheel, self.html, self.listed_sha = wheel, html, listed_sha
        self.requests: list[str] = []

    def __call__(self, url, headers=None):
        self.requests.append(url)
        if url == assets.INDEX_URL:
            sha = self.listed_sha or _sha(self.wheel)
            if self.html:
                page = f'<a href="../../files/{assets.WHEEL_NAME}#sha256={sha}">{assets.WHEEL_NAME}</a>'
                return _Response(page.encode(), "text/html")
            files = [
                {"filename": "mediapipe-0.10.21-cp311-cp311-win_amd64.whl", "url": "https://files.example/win.whl", "hashes": {}},
                {"filename": assets.WHEEL_NAME, "url": "https://files.example/mp.whl", "hashes": {"sha256": sha}},
            ]
            return _Response(json.dumps({"files": files}).encode(), "application/vnd.pypi.simple.v1+json")
        if url.endswith(assets.WHEEL_NAME) or url == "https://files.example/mp.whl":
            return _Response(self.wheel, "application/octet-stream")
        if url == person_model.INDEX_URL:
            files = [{"filename": person_model.WHEEL_NAME, "url": "https://files.example/person.whl",
                      "hashes": {"sha256": _sha(_person_wheel())}}]
            return _Response(json.dumps({"files": files}).encode(), "application/vnd.pypi.simple.v1+json")
        if url == "https://files.example/person.whl":
            return _Response(_person_wheel(), "application/octet-stream")
        raise urllib.error.HTTPError(url, 404, "not found", {}, None)


def _offline(url, headers=None):
    raise urllib.error.URLError("no network here")


@pytest.fixture
def fake_env(tmp_path, monkeypatch):
    """An empty cache dir, no installed mediapipe, and hashes of the fake model files."""
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(assets, "installed_mediapipe_dir", lambda: None)
    monkeypatch.setattr(
        assets,
        "MODEL_FILES",
        {
            "detector": (assets.MODEL_FILES["detector"][0], _sha(DETECTOR_BYTES)),
            "landmarks": (assets.MODEL_FILES["landmarks"][0], _sha(LANDMARK_BYTES)),
        },
    )
    monkeypatch.setattr(assets, "WHEEL_SHA256", _sha(_wheel()))
    monkeypatch.setattr(person_model, "convert", lambda graph: b"converted " + graph)  # no TensorFlow here
    monkeypatch.setattr(person_model, "GRAPH_SHA256", _sha(PERSON_GRAPH))
    monkeypatch.setattr(person_model, "WHEEL_SHA256", _sha(_person_wheel()))
    monkeypatch.setattr(person_model, "installed_graph", lambda: None)
    monkeypatch.setattr(person_model, "packaged_model", lambda: None)  # the download path, as without the shipped file
    return tmp_path


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "c"))
    assert assets.cache_dir() == tmp_path / "c"
    assert assets.models_dir().parent == tmp_path / "c"
    monkeypatch.delenv(assets.CACHE_ENV)
    assert assets.cache_dir().name == "gaitcli"


@pytest.mark.parametrize("html", [False, True])
def test_download_verifies_and_caches_only_the_two_files(fake_env, monkeypatch, html):
    index = FakeIndex(_wheel(), html=html)
    monkeypatch.setattr(assets, "_urlopen", index)
    files = assets.ensure_models()
    assert files["detector"].path.read_bytes() == DETECTOR_BYTES
    assert files["landmarks"].path.read_bytes() == LANDMARK_BYTES
    assert {f.source for f in files.values()} == {"cache"}
    assert sorted(p.name for p in assets.models_dir().iterdir()) == ["pose_detection.tflite", "pose_landmark_full.tflite"]
    assert len(index.requests) == 2  # the project page and the wheel
    # cached now: no second download
    assert assets.ensure_models()["landmarks"].path == files["landmarks"].path
    assert len(index.requests) == 2


def test_tampered_model_file_is_refused(fake_env, monkeypatch):
    tampered = _wheel(landmarks=LANDMARK_BYTES + b"!")
    monkeypatch.setattr(assets, "WHEEL_SHA256", _sha(tampered))  # the wheel itself "matches"
    monkeypatch.setattr(assets, "_urlopen", FakeIndex(tampered))
    with pytest.raises(ModelError, match="pose_landmark_full.tflite .*expected sha256"):
        assets.download_models()
    assert list(assets.models_dir().iterdir()) == []  # nothing half-written, no wheel left


def test_wheel_with_wrong_hash_is_refused(fake_env, monkeypatch):
    other = _wheel(detector=b"something else")
    monkeypatch.setattr(assets, "_urlopen", FakeIndex(other, listed_sha=assets.WHEEL_SHA256))
    with pytest.raises(ModelError, match="refusing"):
        assets.download_models()
    assert list(assets.models_dir().iterdir()) == []


def test_index_listing_another_hash_is_refused(fake_env, monkeypatch):
    index = FakeIndex(_wheel(), listed_sha="0" * 64)
    monkeypatch.setattr(assets, "_urlopen", index)
    with pytest.raises(ModelError, match="lists .* with sha256 0000"):
        assets.download_models()
    assert len(index.requests) == 1  # the wheel was never fetched


def test_corrupt_cached_file_is_fetched_again(fake_env, monkeypatch):
    monkeypatch.setattr(assets, "_urlopen", FakeIndex(_wheel()))
    path = assets.ensure_models()["detector"].path
    path.write_bytes(b"corrupted")
    assert assets.locate("detector") is None
    assert assets.ensure_models()["detector"].path.read_bytes() == DETECTOR_BYTES


def test_no_network_and_no_cache_says_what_to_run(fake_env, monkeypatch):
    monkeypatch.setattr(assets, "_urlopen", _offline)
    with pytest.raises(ModelError, match="gaitcli models download") as info:
        assets.ensure_models()
    assert "no network here" in str(info.value)
    with pytest.raises(ModelError, match="gaitcli models download"):
        assets.ensure_models(download=False)


def test_installed_mediapipe_is_used_without_importing_it(tmp_path, monkeypatch):
    site = tmp_path / "site"
    package = site / "mediapipe"
    for name, data in (("detector", DETECTOR_BYTES), ("landmarks", b"another version's model")):
        target = site / assets.MODEL_FILES[name][0]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (package / "__init__.py").write_text("raise RuntimeError('mediapipe must not be imported')\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(
        assets,
        "MODEL_FILES",
        {
            "detector": (assets.MODEL_FILES["detector"][0], _sha(DETECTOR_BYTES)),
            "landmarks": (assets.MODEL_FILES["landmarks"][0], _sha(LANDMARK_BYTES)),
        },
    )
    assert assets.installed_mediapipe_dir() == package
    found = assets.locate("detector")
    assert found is not None and found.source == "mediapipe" and found.path.parent.parent.parent == package
    assert assets.locate("landmarks") is None  # wrong hash in the installed package: not used
    assert "mediapipe" not in sys.modules


def _cli(args, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def test_cli_models_download_info_path(fake_env, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(assets, "_urlopen", _offline)
    code, out, err = _cli(["models", "download"], capsys)
    assert code == 5 and err.count("\n") == 1 and "cannot reach the package index" in err

    code, out, err = _cli(["models", "info", "--json"], capsys)
    report = json.loads(out)
    assert code == 0 and not report["models"]["detector"]["present"]

    monkeypatch.setattr(assets, "_urlopen", FakeIndex(_wheel()))
    code, out, err = _cli(["models", "download"], capsys)
    assert code == 0 and "verified" in err and out == ""
    code, out, err = _cli(["models", "info", "--json"], capsys)
    report = json.loads(out)
    assert report["models"]["landmarks"]["present"] and report["models"]["landmarks"]["source"] == "cache"
    assert report["cache_dir"] == str(assets.models_dir())
    person = report["person_detector"]  # here without the shipped file: converted into the cache
    assert person["present"] and person["source"] == "cache" and Path(person["path"]).is_relative_to(assets.cache_dir())
    shipped = tmp_path / "weights" / person_model.MODEL_FILE
    shipped.parent.mkdir()
    shipped.write_bytes(b"tflite")
    monkeypatch.setattr(person_model, "packaged_model", lambda: shipped)
    code, out, err = _cli(["models", "info"], capsys)
    assert code == 0 and "verified (packaged)" in out
    code, out, err = _cli(["models", "path"], capsys)
    assert out.strip() == str(assets.models_dir())


def test_cli_pose_without_models_or_network_exits_5(fake_env, monkeypatch, capsys, tmp_path):
    import numpy as np

    from gaitcli.io.images import save_image

    monkeypatch.setattr(assets, "_urlopen", _offline)
    save_image(tmp_path / "x.png", np.zeros((32, 32, 3), np.uint8))
    code, out, err = _cli(["pose", str(tmp_path / "x.png")], capsys)
    assert code == 5 and out == ""
    assert err.startswith("gaitcli: error: ") and err.count("\n") == 1 and "gaitcli models download" in err


def test_person_detector_is_fetched_verified_converted_once(fake_env, monkeypatch):
    index = FakeIndex(_wheel())
    monkeypatch.setattr(assets, "_urlopen", index)
    path = person_model.ensure_model()
    assert path.read_bytes() == b"converted " + PERSON_GRAPH and path.parent.parent == assets.cache_dir()
    assert person_model.ensure_model() == path and len(index.requests) == 2  # cached: fetched once
    assert not list(assets.cache_dir().glob("*.part"))  # no wheel left behind
    path.unlink()
    monkeypatch.setattr(person_model, "GRAPH_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="expected sha256"):
        person_model.ensure_model()
    monkeypatch.setattr(assets, "_urlopen", _offline)
    with pytest.raises(ModelError, match="gaitcli models download"):
        person_model.ensure_model()
    with pytest.raises(ModelError, match="gaitcli models download"):
        person_model.ensure_model(download=False)
    assert not path.exists()
