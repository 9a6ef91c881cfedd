"""Runs scenario steps through a language driver and checks the outcomes.

A driver is a long-lived process speaking JSON lines: it reads {"op", "args"} and answers
{"ok": true, "result": ...} or {"ok": false, "error": {"class", "error_code", "http_status",
"message"}}. Variables, generators, expectations and comparisons all live here, so drivers
stay thin and identical in what they do.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.contract.runner import limits, scenario_file

HERE = Path(__file__).resolve().parents[1]
ROOT = HERE.parents[1]
SCENARIOS = HERE / "scenarios"
_VAR = re.compile(r"\$\{([\w.]+)\}")


# ---- drivers ----------------------------------------------------------------------------------
def languages() -> list[str]:
    """The SDKs taking part: CONTRACT_LANGS (default python,java,r). A missing driver fails, not skips."""
    return [x for x in os.environ.get("CONTRACT_LANGS", "python,java,r").split(",") if x]


def driver_command(lang: str) -> list[str]:
    """How each language's driver starts; built by that language's `make setup-<lang>`."""
    if lang == "python":
        return [sys.executable, "-m", "tests.contract.drivers.python_driver"]
    if lang == "java":
        jar = ROOT / "java" / "example" / "target" / "mlflowrest-example.jar"
        if not jar.is_file():
            raise FileNotFoundError(f"{jar} missing: run `make setup-java`")
        return java_program(HERE / "drivers" / "JavaDriver.java", jar)
    if lang == "r":
        return ["Rscript", "--vanilla", str(HERE / "drivers" / "r_driver.R")]
    raise ValueError(f"no driver for {lang}")


def java_program(source: Path, jar: Path) -> list[str]:
    """`java` running a single-file program on `jar`, compiled once per content of both into
    .work/java-programs: source-file mode compiles on every start (2 s of CPU for JavaDriver.java)
    and the suites start dozens of them. The folder appears whole by a rename, so suites running
    at once never load a half-written class. Source-file mode where there is no javac."""
    if not shutil.which("javac"):
        return ["java", "-cp", str(jar), str(source)]
    stat = jar.stat()
    digest = hashlib.sha256(source.read_bytes() + f"{jar}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    classes = ROOT / ".work" / "java-programs" / f"{source.stem}-{digest[:16]}"
    if not classes.is_dir():
        classes.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{source.stem}-", dir=classes.parent))
        subprocess.run(["javac", "-cp", str(jar), "-d", str(scratch), str(source)], check=True, timeout=300)
        try:
            scratch.rename(classes)
        except OSError:  # another suite's copy got there first
            shutil.rmtree(scratch, ignore_errors=True)
    return ["java", "-cp", os.pathsep.join([str(jar), str(classes)]), source.stem]


class Driver:
    def __init__(self, lang: str, command: list[str], env: Mapping[str, str], timeout: float = 300.0) -> None:
        self.lang = lang
        self.timeout = timeout
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", cwd=ROOT, bufsize=1,
            env={**os.environ, "R_LIBS": str(ROOT / ".work" / "rlib"), **env},
        )  # fmt: skip
        self.stderr: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def call(self, op: str, args: Mapping[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, "args": args}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.lang} driver died:\n{''.join(self.stderr[-40:])}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# ---- scenarios --------------------------------------------------------------------------------
def load_scenarios() -> list[dict[str, Any]]:
    """Every scenario, checked against the schema, limits resolved (runner/scenario_file.py)."""
    return scenario_file.load_all(sorted(SCENARIOS.glob("*.yaml")))


def load_cross(name: str) -> dict[str, Any]:
    """cross/<name>.yaml: the writer's or the readers' scenario of the cross-language pairs; the
    readers start with what the writer saved."""
    write = scenario_file.load(HERE / "cross" / "write.yaml")
    if name == "write":
        return write
    given = scenario_file.RUNNER_VARIABLES | scenario_file.saved(write)
    return scenario_file.load(HERE / "cross" / f"{name}.yaml", given)


def substitute(value: Any, env: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _VAR.fullmatch(value)
        if whole:
            return lookup(env, whole[1])
        return _VAR.sub(lambda m: str(lookup(env, m[1])), value)
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$limit"}:  # scenario files arrive resolved; other case files (bad_input) here
            return limits.evaluate(value["$limit"])
        if len(value) == 1 and next(iter(value)) in GENERATORS:
            return generate(next(iter(value)), substitute(next(iter(value.values())), env), env)
        return {k: substitute(v, env) for k, v in value.items()}
    return value


def lookup(env: Any, dotted: str) -> Any:
    node: Any = env
    for part in dotted.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def generate(kind: str, spec: Any, env: Mapping[str, Any]) -> Any:
    """Deterministic bulk data, so scenarios stay short and every language sends the same."""
    if kind == "$metrics":
        keys = spec.get("keys", 1)
        points = [{"key": f"{spec.get('prefix', 'm')}{i % keys}", "value": i * 0.5, "timestamp": 1_700_000_000_000 + i,
                   "step": i} for i in range(spec["count"])]  # fmt: skip
        if "bad_key_at" in spec:  # one point the server refuses, for half-written-batch cases
            points[spec["bad_key_at"]]["key"] = "bad key!"
        return points
    if kind == "$params":
        return [{"key": f"p{i}", "value": f"v{i}"} for i in range(spec["count"])]
    if kind == "$tags":
        return [{"key": f"t{i}", "value": f"tag {i}"} for i in range(spec["count"])]
    if kind == "$string":
        return spec.get("char", "x") * spec["length"]
    if kind == "$files_of":
        base = Path(env["fixtures"]) / spec
        return {p.relative_to(base).as_posix(): sha256(p) for p in sorted(base.rglob("*")) if p.is_file()}
    if kind == "$file_sha":
        return sha256(Path(env["fixtures"]) / spec)
    raise ValueError(f"unknown generator {kind}")


GENERATORS = {"$metrics", "$params", "$tags", "$string", "$files_of", "$file_sha"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_fixtures(folder: Path) -> Path:
    """Artifact fixtures with fixed content: a folder with a multi-MB file, a 0-byte file and
    non-ASCII names, a single file, and nested layers with same-named files."""
    tree = folder / "tree"
    (tree / "nested" / "données ü").mkdir(parents=True, exist_ok=True)
    (tree / "a.txt").write_text("alpha\n")
    (tree / "empty.bin").write_bytes(b"")
    (tree / "nested" / "b.csv").write_text("x,y\n1,2\n")
    (tree / "nested" / "données ü" / "日本語.txt").write_text("non-ascii ✓\n", encoding="utf-8")
    block = hashlib.sha256(b"mlflowrest").digest() * 32  # 1 KiB, deterministic
    (tree / "big.bin").write_bytes(block * 3 * 1024 + b"tail")  # a little over 3 MiB
    single = folder / "single"
    single.mkdir(exist_ok=True)
    (single / "model card.md").write_text("# card\n")
    # Three levels deep, and two subfolders holding files of the same name (different bytes).
    layers = folder / "layers"
    (layers / "a" / "b" / "c").mkdir(parents=True, exist_ok=True)
    (layers / "left").mkdir(exist_ok=True)
    (layers / "right").mkdir(exist_ok=True)
    (layers / "top.txt").write_text("top\n")
    (layers / "a" / "b" / "c" / "deep.txt").write_text("three levels down\n")
    (layers / "left" / "same.txt").write_text("left\n")
    (layers / "right" / "same.txt").write_text("right side\n")
    return folder


# ---- comparing --------------------------------------------------------------------------------
_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if value in _SPECIAL:
            return _SPECIAL[value]
        try:
            return float(value) if re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", value) else None
        except ValueError:
            return None
    return None


def match(expected: Any, actual: Any, where: str = "result") -> list[str]:
    """Differences between an expectation (a subset pattern) and an outcome."""
    if isinstance(expected, dict):
        if "$len" in expected:
            n = len(actual or [])
            return [] if n == expected["$len"] else [f"{where}: length {n}, expected {expected['$len']}"]
        if "$contains" in expected:
            items = actual or []
            want = expected["$contains"]
            return [] if any(not match(want, item) for item in items) else [f"{where}: no element matches {want}"]
        if "$absent" in expected:
            return [] if actual in (None, [], {}) else [f"{where}: expected absent, got {actual!r}"[:300]]
        if "$sorted" in expected:
            got = sorted(actual or [])
            return [] if got == sorted(expected["$sorted"]) else [f"{where}: {got} != {sorted(expected['$sorted'])}"]
        if "$ge" in expected:
            x = _number(actual)
            return [] if x is not None and x >= float(expected["$ge"]) else [f"{where}: {actual!r} < {expected['$ge']}"]
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"[:300]]
        out = []
        for key, value in expected.items():
            out += match(value, actual.get(key), f"{where}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} items, got {actual!r}"[:300]]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out += match(e, a, f"{where}[{i}]")
        return out
    e_num, a_num = _number(expected), _number(actual)
    if e_num is not None and a_num is not None and not isinstance(expected, str | bool):
        same = (math.isnan(e_num) and math.isnan(a_num)) or e_num == a_num or math.isclose(e_num, a_num, rel_tol=1e-12)
        return [] if same else [f"{where}: {actual!r} != {expected!r}"]
    if isinstance(expected, str) and expected in _SPECIAL and a_num is not None:
        return match(_SPECIAL[expected], a_num, where) if not math.isnan(_SPECIAL[expected]) else (
            [] if math.isnan(a_num) else [f"{where}: {actual!r} is not NaN"])  # fmt: skip
    if expected == actual or (isinstance(actual, (int, float)) and str(expected) == str(actual)):
        return []
    return [f"{where}: {actual!r} != {expected!r}"[:300]]


def canonical(value: Any) -> Any:
    """One form for comparing what two languages read: numbers as floats, NaN/inf named."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in sorted(value.items()) if v not in (None, [], {})}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    n = _number(value)
    if n is not None and not isinstance(value, bool):
        return "NaN" if math.isnan(n) else n
    return value


# ---- running ----------------------------------------------------------------------------------
def family_class(name: str | None) -> str | None:
    """R's condition classes are the family's class names in R's spelling (docs/design.md):
    mlflowrest_resource_does_not_exist -> ResourceDoesNotExistError."""
    if not name or not name.startswith("mlflowrest_"):
        return name
    special = {"mlflowrest_error": "MlflowError", "mlflowrest_timeout": "RequestTimeoutError"}
    if name in special:
        return special[name]
    return "".join(w.capitalize() for w in name.removeprefix("mlflowrest_").removesuffix("_error").split("_")) + "Error"



@dataclass
class StepOutcome:
    scenario: str
    step: str
    lang: str
    problems: list[str] = field(default_factory=list)
    answer: dict[str, Any] | None = None


def run_scenario(driver: Driver, scenario: dict[str, Any], env: dict[str, Any]) -> list[StepOutcome]:
    outcomes = []
    for step in scenario["steps"]:
        outcome = StepOutcome(scenario["id"], step["id"], driver.lang)
        try:
            args = substitute(step.get("args", {}), env)
            answer = driver.call(step["op"], args)
        except (KeyError, RuntimeError, ValueError) as exc:
            outcome.problems.append(f"could not run: {type(exc).__name__}: {exc}")
            outcomes.append(outcome)
            break
        outcome.answer = answer
        if "expect_error" in step:
            want = step["expect_error"]
            if answer.get("ok"):
                outcome.problems.append(f"expected error {want}, got success {json.dumps(answer.get('result'))[:200]}")
            else:
                err = answer["error"]
                if want.get("error_code") and err.get("error_code") != want["error_code"]:
                    outcome.problems.append(f"error_code {err.get('error_code')}, expected {want['error_code']}")
                if want.get("class") and family_class(err.get("class")) != want["class"]:
                    outcome.problems.append(f"error class {err.get('class')}, expected {want['class']}")
        elif not answer.get("ok"):
            outcome.problems.append(f"unexpected error {json.dumps(answer.get('error'))[:300]}")
        else:
            result = answer.get("result")
            if "expect" in step:
                outcome.problems += match(substitute(step["expect"], env), result)
            for name, path in (step.get("save") or {}).items():
                try:
                    env[name] = lookup(result, path)
                except (KeyError, IndexError, TypeError):
                    outcome.problems.append(f"cannot save {name} from {path}")
        outcomes.append(outcome)
        if outcome.problems and step.get("stop_on_failure", True):
            break
    return outcomes
