"""`make test` leaves the checkout as it found it: no tracked file rewritten, no stray output.

    python3 tests/harness/git_clean.py snapshot   # first step of make test
    python3 tests/harness/git_clean.py check      # last step: fails naming every path the run changed

The snapshot records each path `git status --porcelain` lists (modified, deleted, untracked and
not ignored) with a hash of its content, so work in progress on a developer's checkout is not
blamed on the tests; on CI's clean clone it is empty and any listed path fails. Build output
belongs in .gitignore; a file a test must rewrite belongs to a dedicated target (make compat-table,
make bench), not to make test. Standard library only: it runs before the venv exists."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def listed(root: Path) -> dict[str, str]:
    """path -> "<status> <content sha256>" for everything git reports as changed or untracked."""
    out = subprocess.run(["git", "status", "--porcelain=v1", "-z", "--untracked-files=all"], cwd=root,
                         check=True, capture_output=True).stdout.decode()  # fmt: skip
    entries = out.split("\0")
    found: dict[str, str] = {}
    i = 0
    while i < len(entries) and entries[i]:
        status, path = entries[i][:2], entries[i][3:]
        i += 2 if status[0] in "RC" else 1  # a rename is followed by its old name
        file = root / path
        digest = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else "-"
        found[path] = f"{status} {digest}"
    return found


def main(command: str, root: Path = ROOT) -> int:
    if subprocess.run(["git", "rev-parse", "--git-dir"], cwd=root, capture_output=True).returncode != 0:
        print("not a git checkout: the clean-tree check is skipped")
        return 0
    snapshot = root / ".work" / "git-status-before.json"  # .work/ is ignored
    if command == "snapshot":
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(json.dumps(listed(root), indent=1, sort_keys=True))
        return 0
    before = json.loads(snapshot.read_text()) if snapshot.is_file() else {}
    changed = sorted(p for p, state in listed(root).items() if before.get(p) != state)
    if changed:
        print(f"make test changed {len(changed)} path(s) of the checkout; tracked files must not be rewritten "
              "(check instead, and rewrite in a dedicated target) and build output must be in .gitignore:")
        print("\n".join(f"  {p}" for p in changed[:50]))
        return 1
    print("git status: make test left the checkout as it found it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "check"))
