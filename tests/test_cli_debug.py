"""`--debug` is accepted anywhere on the command line, shows the traceback, and keeps the exit code."""

from __future__ import annotations

import pytest

from gaitcli.cli.main import main


def run(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    return exit_info.value.code, capsys.readouterr().err


def _with_debug(argv: list[str], where: str) -> list[str]:
    return {"none": argv, "before": ["--debug", *argv], "after": [*argv, "--debug"]}[where]


@pytest.mark.parametrize("where", ["none", "before", "after"])
def test_debug_anywhere_shows_the_traceback_and_keeps_the_exit_code(tmp_path, capsys, where):
    code, err = run(_with_debug(["gallery", "info", "--gallery", str(tmp_path / "missing.gallery")], where), capsys)
    assert code == 6
    assert err.splitlines()[-1].startswith("gaitcli: error:") and "missing.gallery" in err.splitlines()[-1]
    assert ("Traceback (most recent call last)" in err) == (where != "none")
    if where == "none":
        assert len(err.splitlines()) == 1


@pytest.mark.parametrize("where", ["none", "before", "after"])
def test_an_unusable_input_is_exit_3_with_or_without_debug(tmp_path, capsys, where):
    code, err = run(_with_debug(["embed", str(tmp_path / "missing.mp4")], where), capsys)
    assert code == 3 and "missing.mp4" in err


def test_debug_with_a_bad_command_line_is_still_exit_2(capsys):
    assert run(["--debug", "no-such-command"], capsys)[0] == 2
    assert run(["embed", "--no-such-option", "--debug"], capsys)[0] == 2


def test_a_file_named_like_the_option_after_double_dash_is_an_input(tmp_path, capsys):
    code, err = run(["embed", "--", "--debug"], capsys)
    assert code == 3 and "--debug" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, said", [
    (["no-such-command"], "No such command 'no-such-command'"),
    (["identify", "--gallery", "g.gallery", "--threshold", "abc", "x.npy"], "Invalid value for '--threshold'"),
    (["embed", "--no-such-option", "x.mp4"], "No such option: --no-such-option"),
    (["embed"], "Missing argument"),
    (["gallery", "info"], "Missing option '--gallery'"),
    (["embed", "x.mp4", "--track", "1", "--all-tracks"], "--track and --all-tracks exclude each other"),
    (["embed", "x.mp4", "--list-tracks", "--out", "v.npy"], "--list-tracks embeds nothing; drop --out"),
    (["embed", "x.mp4", "--save-pose", "walk_pose.json"], "give a folder"),
])
def test_a_bad_command_line_is_one_line_naming_the_help_and_exit_2(capsys, argv, said):
    code, err = run(argv, capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("gaitcli: error:") and said in err and "--help`" in err


def test_no_arguments_print_the_help_once(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([])
    out = capsys.readouterr().out
    assert exit_info.value.code == 2 and out.count("Usage: gaitcli") == 1 and "identify" in out


def test_python_dash_m_gaitcli_is_the_command():
    """`python -m gaitcli` runs the CLI (where the scripts folder is not on PATH), errors included."""
    import subprocess
    import sys

    from gaitcli import __version__

    done = subprocess.run([sys.executable, "-m", "gaitcli", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"gaitcli {__version__}"
    done = subprocess.run([sys.executable, "-m", "gaitcli", "identify", "--threshold", "abc"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("gaitcli: error:") and len(done.stderr.splitlines()) == 1
