"""What a user's `pip install` gets: every package and the sample clips, without TensorFlow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_source_package_is_listed_for_the_wheel():
    setuptools = PYPROJECT["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "gaitcli").rglob("__init__.py")}
    assert set(setuptools["packages"]) == found | {"gaitcli.samples"}
    assert setuptools["package-dir"]["gaitcli.samples"] == "sample_videos"


def test_tensorflow_is_an_extra_not_a_dependency():
    project = PYPROJECT["project"]
    assert not any(d.startswith("tensorflow") for d in project["dependencies"])
    assert any(d.startswith("tensorflow-cpu") for d in project["optional-dependencies"]["tensorflow"])
    assert "gaitcli[tensorflow]" in project["optional-dependencies"]["test"]


def test_samples_are_found_from_any_folder(tmp_path, monkeypatch):
    from gaitcli.sample_videos import sample_folder

    monkeypatch.chdir(tmp_path)
    folder = sample_folder()
    assert sorted(p.name for p in folder.glob("*.mp4"))[:2] == ["person1_walk1.mp4", "person1_walk2.mp4"]


@pytest.mark.slow
def test_wheel_installs_and_runs_the_demo_from_another_folder(tmp_path):
    """Build the wheel, install it into a new virtual environment (its dependencies are this
    environment's, reached through a .pth file), and run `gaitcli demo` from an empty folder."""
    source = tmp_path / "source"  # a clean copy: building in the checkout would leave build/ there
    for folder in ("gaitcli", "sample_videos"):
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(wheels), "-q"],
        check=True, cwd=tmp_path, timeout=600,
    )
    (wheel,) = wheels.glob("gaitcli-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gaitcli/samples/person4_walk1.mp4" in names and "gaitcli/weights/gait_default.npz" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    # this environment's packages after the new one's own (a path in a .pth file is appended)
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--force-reinstall", "-q", str(wheel)], check=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [str(venv / "bin" / "gaitcli"), "demo", "--json"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert str(venv) in subprocess.run(
        [str(python), "-c", "import gaitcli; print(gaitcli.__file__)"], cwd=elsewhere, env=env, capture_output=True, text=True
    ).stdout
