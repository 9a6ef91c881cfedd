"""make test's last step (git_clean.py): a rewritten tracked file or an unignored new file fails it;
work in progress that was there before the run does not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.harness.git_clean import main


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / ".gitignore").write_text(".work/\nbuild/\n")
    (tmp_path / "COMPATIBILITY.md").write_text("table\n")
    (tmp_path / "wip.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@127.0.0.1", "commit", "-qm", "start")
    (tmp_path / "wip.py").write_text("x = 2\n")  # the developer's uncommitted work, before the run
    assert main("snapshot", tmp_path) == 0
    return tmp_path


def test_ignored_output_and_earlier_work_in_progress_pass(checkout: Path) -> None:
    (checkout / "build").mkdir()
    (checkout / "build" / "out.bin").write_bytes(b"\0")
    assert main("check", checkout) == 0


@pytest.mark.parametrize("change", ["rewrite-tracked", "stray-file", "edit-wip"])
def test_what_the_run_changed_fails(checkout: Path, change: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = {"rewrite-tracked": "COMPATIBILITY.md", "stray-file": "results.md", "edit-wip": "wip.py"}[change]
    (checkout / path).write_text("written by a test\n")
    assert main("check", checkout) == 1
    assert f"  {path}" in capsys.readouterr().out
