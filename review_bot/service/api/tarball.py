"""New-side files from a submitted tarball (``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.tar.xz``).

Read in memory and untrusted: only regular files are taken (links, devices and directories
are ignored), every name must stay inside the tree, and the uncompressed total is bounded so
a small compressed body cannot expand without limit. Only the files the diff names are kept.
"""

from __future__ import annotations

import base64
import binascii
import io
import tarfile
from collections.abc import Collection
from pathlib import PurePosixPath

from review_bot.service.api.errors import ApiError

__all__ = ["MAX_UNPACKED_BYTES", "files_from_tarball"]

MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def _bad(message: str) -> ApiError:
    return ApiError(422, "invalid_request", f"tarball: {message}", field="tarball")


def files_from_tarball(
    encoded: str, wanted: Collection[str], limit: int = MAX_UNPACKED_BYTES
) -> dict[str, str]:
    """The UTF-8 text of the ``wanted`` paths found in the base64-encoded tarball."""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad("not base64") from exc
    out: dict[str, str] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:*") as archive:
            for member in archive:
                if not member.isreg():
                    continue
                name = member.name.removeprefix("./")
                pure = PurePosixPath(name)
                if pure.is_absolute() or ".." in pure.parts:
                    raise _bad(f"{member.name!r} points outside the tree")
                if name not in wanted:
                    continue
                total += member.size
                if total > limit:
                    raise _bad(f"over {limit} bytes unpacked; send only the changed files")
                handle = archive.extractfile(member)
                data = handle.read() if handle is not None else b""
                try:
                    out[name] = data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise _bad(f"{name!r} is not UTF-8 text") from exc
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise _bad(f"not a readable tar archive ({exc.__class__.__name__})") from exc
    return out
