"""The `gaitcli` entry point: builds the Typer app and owns the one error handler.

Only the invoked command's module is imported (all of them for help); each keeps its heavy
imports (TensorFlow, LiteRT, scikit-learn) inside its functions so that start-up stays fast.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import NoReturn

import typer

# TensorFlow's C++ start-up chatter would precede our one-line errors; commands that import it
# (training, the seed's networks) stay quiet unless the user asks otherwise.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# OpenCV's own "[ WARN:0@...]" lines likewise: gaitcli reports unusable images and videos itself.
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")

from gaitcli import __version__

app = typer.Typer(
    name="gaitcli",
    help="Identify people from video by the way they walk.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gaitcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    """gaitcli: pose -> gait features -> identification vector -> gallery."""


_registered: set[str] = set()


def _add(name: str) -> None:
    """Register one command (or command group) once; each lives in its own module, imported here."""
    from importlib import import_module

    if name in _registered:
        return
    _registered.add(name)

    module = import_module(f"gaitcli.cli.{name}")
    if name == "embed":
        app.command("embed")(module.embed)
    elif name == "demo":
        app.command("demo")(module.demo)
    elif name == "train":
        app.add_typer(module.app, name="train")
    else:
        module.register(app)


#: Every command, in the order the data walks: image -> 16 joints, walk -> identification vector,
#: vectors -> gallery, gallery -> who is it, labelled walks -> rank-1/mAP/EER, the main job on the
#: bundled samples, then the tools.
COMMANDS = ("pose", "embed", "enroll", "identify", "gallery", "evaluate", "demo", "train", "convert", "models")


def _register(args: list[str] | None = None) -> None:
    """Register the command that ``args`` invoke, only that one (a command never pays for the
    imports of the others); every command when there is none (help, or a mistake to report)."""
    command = next((a for a in args or [] if not a.startswith("-")), None)
    for name in [command] if command in COMMANDS else COMMANDS:
        _add(name)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI and exit (``SystemExit``, as Typer does); user errors become one line on stderr and a non-zero exit code.

    Usage errors (unknown command, bad option or value) are one line too, naming the command's
    ``--help`` (exit 2; no arguments at all print the help, exit 2); Ctrl-C prints one line and
    exits 130.
    """
    import warnings

    from gaitcli.cli import output
    from gaitcli.errors import describe_error

    args, debug = _take_debug(list(sys.argv[1:] if argv is None else argv))
    _register(args)
    output.DEBUG = debug
    interrupted = []

    def on_interrupt(signum, frame):  # Typer turns KeyboardInterrupt into a silent exit 130
        interrupted.append(signum)
        signal.default_int_handler(signum, frame)

    # Python's own Ctrl-C handler is replaced (an ignored SIGINT, as in a background job, stays ignored)
    install = threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if install:
        signal.signal(signal.SIGINT, on_interrupt)
    try:
        with warnings.catch_warnings():
            if not debug:  # library warnings (NumPy's overflow, ...) are not gaitcli's one line
                warnings.simplefilter("ignore")
            # not standalone: usage errors come here as exceptions instead of Typer's framed box
            code = app(args=args, prog_name="gaitcli", standalone_mode=False)
        raise SystemExit(code if type(code) is int else 0)  # typer.Exit(code), Ctrl-C (130) or done, as Typer exits
    except SystemExit as exc:
        if interrupted and exc.code == 130:
            _fail("interrupted", 130)
        raise
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except _CLICK.exceptions.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments: the help (Typer's rich help is printed already)
            if exc.format_message().strip():
                print(exc.format_message())
            raise SystemExit(2) from None
        where = exc.ctx.command_path if exc.ctx is not None else "gaitcli"
        _fail(f"{exc.format_message()} (see `{where} --help`)", exc.exit_code)
    except _CLICK.exceptions.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except typer.Abort:
        _fail("aborted", 1)
    except Exception as exc:  # user errors, missing files, memory; a bug is one line too unless --debug
        if debug:
            _traceback()
        _fail(*describe_error(exc))
    finally:
        if install:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _click_module():
    """The click Typer runs on: its own copy (``typer._click``, Typer 0.20 and later) or click."""
    import typer.core

    vendored = getattr(typer.core, "_click", None)
    if vendored is not None:
        return vendored
    import click

    return click


_CLICK = _click_module()


def _take_debug(args: list[str]) -> tuple[list[str], bool]:
    """``--debug`` may stand anywhere before a ``--`` (before or after the command): take it out."""
    end = args.index("--") if "--" in args else len(args)
    kept = [a for a in args[:end] if a != "--debug"] + args[end:]
    return kept, len(kept) < len(args)


def _traceback() -> None:
    """--debug: the traceback on stderr; the exit code stays the one without --debug."""
    import traceback

    traceback.print_exc()


def _fail(message: str, code: int) -> None:
    from gaitcli.cli.output import error_line

    error_line(message)
    raise SystemExit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
