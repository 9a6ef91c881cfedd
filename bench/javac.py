"""Compiles a benchmark's Java program once, so no measured JVM start is charged with compiling it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def compile_once(source: Path, classes: Path, classpath: list[Path]) -> bool:
    """Compiles `source` into `classes` unless it is newer than the source and the jar (the first
    entry of `classpath`); False when there is no jar or no javac."""
    jar = classpath[0]
    if not jar.is_file() or not shutil.which("javac"):
        return False
    target = classes / (source.stem + ".class")
    if not target.is_file() or target.stat().st_mtime < max(source.stat().st_mtime, jar.stat().st_mtime):
        classes.mkdir(parents=True, exist_ok=True)
        cp = ":".join(str(p) for p in classpath)
        subprocess.run(["javac", "-cp", cp, "-d", str(classes), str(source)], check=True)
    return True
