"""gaitcli's exceptions.

Every error a user can cause derives from :class:`GaitcliError`; the CLI catches it once,
prints its message as one line on stderr and exits with its ``exit_code``.
"""

from __future__ import annotations


class GaitcliError(Exception):
    """Base class of user-facing errors."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # one line, always
        return " ".join(self.message.split())


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
