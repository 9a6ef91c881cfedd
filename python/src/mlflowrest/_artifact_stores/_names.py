"""Artifact names every store accepts, checked for a whole folder before its first byte is sent.

The limits are those of the strictest store: the proxied server refuses `#` and `..` (also
percent-encoded) as "Invalid path", and on Windows also `\\` and drive letters; file systems
refuse a name over 255 bytes; S3 a key over 1024 bytes. A name one store refuses is refused for
all (the Java and R SDKs check the same), so a run's artifacts can move between stores."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote

from mlflowrest._exceptions import InvalidParameterValueError

_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024


def _problem(path: str) -> tuple[str, str] | None:
    """(what is wrong, the limit) or None."""
    try:
        encoded = path.encode("utf-8")
    except UnicodeEncodeError:
        return "artifact paths are UTF-8 text and this name is not UTF-8", "utf-8"
    decoded = path
    while (again := unquote(decoded)) != decoded:  # the server decodes before it checks
        decoded = again
    if "#" in decoded:
        return "the server refuses '#' in artifact paths", "no '#'"
    if "\\" in decoded or _DRIVE.match(decoded):
        return "artifact paths are '/'-separated: no '\\' or drive letter", "no '\\'"
    if ".." in decoded.split("/"):
        return "'..' may not be a part of an artifact path", "no '..'"
    longest = max(len(part.encode("utf-8", "surrogateescape")) for part in path.split("/"))
    if longest > MAX_NAME_BYTES:
        return f"a name of {longest} bytes is over the limit", f"max_name_bytes={MAX_NAME_BYTES}"
    if len(encoded) > MAX_PATH_BYTES:
        return f"the path is {len(encoded)} bytes", f"max_path_bytes={MAX_PATH_BYTES}"
    return None


def check_names(files: list[tuple[Path, str]]) -> None:
    """Raise InvalidParameterValueError naming the first bad file (and how many are bad)."""
    bad = [(src, path, problem) for src, path in files if (problem := _problem(path))]
    if not bad:
        return
    src, _, (what, limit) = bad[0]
    shown = os.fsencode(src) if what.endswith("not UTF-8") else str(src)
    more = f" ({len(bad) - 1} more file(s) have bad names)" if len(bad) > 1 else ""
    raise InvalidParameterValueError(
        f"cannot upload {shown!r}: {what}{more}; nothing was uploaded", field="local_path", limit=limit
    )
