"""Signed envelopes: a gallery file is only read after its HMAC proves that this user wrote it.

A gallery holds who is who; a file changed by someone else could name the wrong people.
gaitcli therefore wraps every gallery it writes in an envelope::

    MAGIC (16 bytes) | payload length (8 bytes, little-endian) | HMAC-SHA256 (32 bytes) | payload

The HMAC covers the magic, the length and the payload, keyed with a per-user secret kept in
``<config dir>/gallery.key`` (32 random bytes, hex; file mode 0600, folder 0700 when gaitcli
creates it). The config dir is ``$GAITCLI_CONFIG_DIR``, else the platform's user config
folder (``platformdirs``: ``$XDG_CONFIG_HOME/gaitcli`` or ``~/.config/gaitcli`` on Linux); a key
in a folder that other users can write to is refused (they could swap it). :func:`open_envelope`
checks the HMAC *before* anything is unpickled; unsigned or tampered data is refused unless the
caller passes ``trust=True``. Unpickling itself never runs code whatever the file holds
(:mod:`gaitcli.gallery.safe_pickle`); ``trust`` only waives the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import struct
from pathlib import Path

from gaitcli.atomic import atomic_output
from gaitcli.errors import GalleryError

MAGIC = b"gaitcli-gallery\n"
_LENGTH = struct.Struct("<Q")
_DIGEST_SIZE = hashlib.sha256().digest_size
HEADER_SIZE = len(MAGIC) + _LENGTH.size + _DIGEST_SIZE
KEY_FILE = "gallery.key"


def config_dir() -> Path:
    """gaitcli's per-user config folder (``$GAITCLI_CONFIG_DIR`` overrides)."""
    override = os.environ.get("GAITCLI_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path("gaitcli", appauthor=False)


def key_path() -> Path:
    """Where this user's gallery-signing secret lives."""
    return config_dir() / KEY_FILE


def signing_key(*, create: bool) -> bytes | None:
    """This user's secret; created on first use when ``create`` (else ``None`` when absent).

    Creation is race-free: the key is written to a private temporary file and hard-linked
    into place, so concurrent first uses all end up with the one key that won.
    """
    path = key_path()
    folder = path.parent
    if folder.is_dir():
        _check_folder(folder)
    key = _read_key(path)
    if key is not None or not create:
        return key
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _check_folder(folder)
    try:
        with atomic_output(path, mode=0o600, replace=False) as tmp:
            tmp.write_text(secrets.token_hex(32) + "\n")
    except FileExistsError:
        pass  # another process created it first: use theirs
    return _read_key(path)


_PICKLE = b"\x80"  # how a pickle of protocol 2 or later begins (joblib.dump writes one; safe_pickle reads nothing else)


def seal(payload: bytes) -> bytes:
    """Wrap ``payload`` in a signed envelope (creating this user's key on first use)."""
    key = signing_key(create=True)
    head = MAGIC + _LENGTH.pack(len(payload))
    return head + _mac(key, head, payload) + payload


def open_envelope(data: bytes, *, trust: bool = False, where: str = "gallery") -> tuple[bytes, bool]:
    """The payload inside ``data`` and whether its signature is this user's: ``(payload, signed)``.

    Data without the envelope (a plain joblib file) is *unsigned*; an envelope whose HMAC
    does not match was changed after gaitcli wrote it, or signed by another user's key.
    Both raise :class:`GalleryError` unless ``trust``, in which case the payload is returned
    with ``signed=False``. A truncated envelope is an error even with ``trust``.
    """
    if not data.startswith(MAGIC):
        if data and MAGIC.startswith(data):
            raise GalleryError(f"{where} is truncated ({len(data)} bytes); restore it from a backup, or move it aside and enroll again")
        if not data.startswith(_PICKLE):  # neither gaitcli's envelope nor a joblib file: --trust would not help
            raise GalleryError(f"{where} is corrupt or not a gaitcli gallery (neither a signed gallery nor an unsigned joblib "
                               "file); restore it from a backup, or move it aside and enroll again")
        if not trust:
            raise GalleryError(
                f"{where} is not signed by gaitcli for this user, so its contents are not vouched for; "
                "pass --trust only if you know where the file came from"
            )
        return data, False
    if len(data) < HEADER_SIZE:
        raise GalleryError(f"{where} is truncated ({len(data)} bytes); restore it from a backup, or move it aside and enroll again")
    head = data[: len(MAGIC) + _LENGTH.size]
    (length,) = _LENGTH.unpack(head[len(MAGIC) :])
    signature = data[len(head) : HEADER_SIZE]
    payload = data[HEADER_SIZE:]
    if len(payload) != length:
        state = "truncated" if len(payload) < length else "corrupt (trailing bytes)"
        raise GalleryError(
            f"{where} is {state}: {len(payload)} of {length} payload bytes; restore it from a backup, or move it aside and enroll again"
        )
    try:
        key = signing_key(create=False)
    except GalleryError:  # an unsafe or unreadable key: with trust, the file is simply not vouched for
        if not trust:
            raise
        key = None
    if key is not None and hmac.compare_digest(signature, _mac(key, head, payload)):
        return payload, True
    if not trust:
        whose = "" if key is not None else f" (there is no signing key at {key_path()} yet)"
        raise GalleryError(
            f"{where} failed its signature check{whose}: it was modified after gaitcli wrote it, or signed by "
            "another user; pass --trust only if you know where the file came from"
        )
    return payload, False


def _mac(key: bytes, head: bytes, payload: bytes) -> bytes:
    mac = hmac.new(key, head, hashlib.sha256)
    mac.update(payload)
    return mac.digest()


def _check_folder(folder: Path) -> None:
    """Refuse a key folder that another user owns or can write to: they could replace the key.
    (POSIX permissions only: elsewhere the mode bits do not say who may write.)"""
    if os.name != "posix":
        return
    info = folder.stat()
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise GalleryError(f"the folder of the signing key, {folder}, can be written by other users; "
                           f"run `chmod go-w {folder}` (or `chmod 700 {folder}`)")
    if info.st_uid != os.getuid():
        raise GalleryError(f"the folder of the signing key, {folder}, belongs to another user; use a folder of your own "
                           "(GAITCLI_CONFIG_DIR)")


def _read_key(path: Path) -> bytes | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise GalleryError(f"signing key {path} is accessible to other users; run `chmod 600 {path}`")
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        key = b""
    if len(key) < 16:
        raise GalleryError(f"signing key {path} is unreadable or too short; delete it to start a new key (galleries signed with it will then need --trust once)")
    return key
