"""The `gaitcli` entry point: builds the Typer app and owns the one error handler.

Command modules are imported here; each keeps its heavy imports (TensorFlow, LiteRT,
scikit-learn) inside its functions so that ``gaitcli --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

import typer

# TensorFlow's C++ start-up chatter would precede our one-line errors; commands that import it
# (training, the seed's networks) stay quiet unless the user asks otherwise.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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


def _register() -> None:
    """One module per command or command group, in the order the data walks."""
    from gaitcli.cli import convert, demo, embed, enroll, evaluate, gallery, identify, models, pose, train

    pose.register(app)  # image -> 16 joints
    app.command("embed")(embed.embed)  # walk -> identification vector
    enroll.register(app)  # vectors -> gallery
    identify.register(app)  # gallery -> who is it
    gallery.register(app)
    evaluate.register(app)  # labelled walks -> rank-1, mAP, EER
    app.command("demo")(demo.demo)  # the main job on the bundled samples
    app.add_typer(train.app, name="train")
    convert.register(app)
    models.register(app)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become one line on stderr and a non-zero exit code.

    Usage errors (unknown command, bad option) are reported by Typer itself (exit 2).
    """
    from gaitcli.errors import GaitcliError

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        app(args=args, prog_name="gaitcli")  # standalone: exits through SystemExit
    except GaitcliError as exc:
        if debug:
            raise
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except MemoryError:
        if debug:
            raise
        _fail("out of memory", 1)
    except OSError as exc:
        if debug:
            raise
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        _fail(f"{exc.strerror or exc}{where}", 1)
    except Exception as exc:  # a bug, not a user error: still one line unless --debug
        if debug:
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", 1)
    return 0


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"gaitcli: error: {' '.join(message.split())}\n")
    sys.stderr.flush()
    raise SystemExit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
