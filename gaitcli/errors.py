"""gaitcli's exceptions.

Every error a user can cause derives from :class:`GaitcliError`; the CLI catches it once,
prints its message as one line on stderr and exits with its ``exit_code``.
"""

from __future__ import annotations

import unicodedata

#: Characters that change how a terminal shows text (bidi embeddings, overrides and isolates).
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_control(ch: str) -> bool:
    """Whether ``ch`` is a control character (ANSI escapes start with one), a line or paragraph
    separator, a surrogate or private-use code point, or a bidi control: never shown as itself."""
    return unicodedata.category(ch) in ("Cc", "Cs", "Co", "Zl", "Zp") or ch in _BIDI_CONTROLS


def printable(text: object) -> str:
    """``text`` safe to show on a terminal: characters :func:`is_control` finds appear as escapes
    (``\\x1b``), never as themselves."""
    return "".join(_escape(ch) if is_control(ch) else ch for ch in str(text))


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class GaitcliError(Exception):
    """Base class of user-facing errors."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # one line, always, and nothing a terminal would act on
        return printable(" ".join(self.message.split()))


class InputError(GaitcliError):
    """A file or argument the user gave cannot be used (missing, unreadable, malformed)."""

    exit_code = 3


class NoPersonError(GaitcliError):
    """The input is valid but no person (or too little of one) was found in it."""

    exit_code = 4


class ModelError(GaitcliError):
    """Model weights are missing, corrupt, or do not match what was asked of them."""

    exit_code = 5


class GalleryError(GaitcliError):
    """A gallery file is missing, corrupt, untrusted, or made by another model."""

    exit_code = 6


class MissingDependencyError(GaitcliError):
    """An optional dependency a command needs is not installed (the message says what to install)."""

    exit_code = 1


def describe_error(exc: BaseException) -> tuple[str, int]:
    """The one-line message and exit code the CLI gives for ``exc`` (a user error, a missing
    file, memory, or — with exit code 1 — a bug, reported as an internal error)."""
    if isinstance(exc, GaitcliError):
        return str(exc), exc.exit_code
    if isinstance(exc, MemoryError):
        return "out of memory", 1
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return " ".join(f"{exc.strerror or exc}{where}".split()), 1
    return " ".join(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)".split()), 1
