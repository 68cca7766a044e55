"""At least 250 damaged or foreign inputs through import, analyze, export, replay and report.

The corpus (:mod:`tests.files.damaged_corpus`) is seeded. Every input goes through every
command: no traceback, no hang, at most one line on stderr for an error, exit code 0 or 2, the
input unchanged, and no file left behind. ``replay`` runs headless (``--headless --json``: the
live engine over the file's packets, the same file checks as its window).

Each command runs once over the whole corpus in a driver process (``corpus_driver.py``, which
calls the CLI's ``main`` per input), and once per input class as a real separate subprocess.
"""

from __future__ import annotations

import collections
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.files.corpus_driver import ARGS
from tests.files.damaged_corpus import build_corpus

DRIVER = Path(__file__).with_name("corpus_driver.py")
ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("import", "analyze", "export", "replay", "report")


def fingerprint(path: Path) -> str:
    if path.is_symlink() or not path.is_file():
        return f"special:{path.is_symlink()}:{path.exists()}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def test_the_corpus_is_large_and_varied(corpus: dict[str, list[Path]]) -> None:
    counts = {kind: len(paths) for kind, paths in corpus.items()}
    print(f"\ncorpus: {sum(counts.values())} inputs: {counts}")
    assert sum(counts.values()) >= 250 and len(counts) >= 10


def problems(result: dict[str, object]) -> list[str]:
    found = []
    stderr = str(result["stderr"])
    if result["escaped"]:
        found.append(f"escaped: {str(result['escaped']).strip().splitlines()[-1]}")
    if "Traceback" in stderr:
        found.append("traceback on stderr")
    if result["code"] not in (0, 2):
        found.append(f"exit {result['code']}")
    if result["code"] == 2 and len(stderr.strip().splitlines()) != 1:
        found.append(f"{len(stderr.strip().splitlines())} stderr lines")
    return found


@pytest.mark.parametrize("command", COMMANDS)
def test_every_input_through_every_command(
    corpus: dict[str, list[Path]], tmp_path: Path, command: str
) -> None:
    inputs = [path for paths in corpus.values() for path in paths]
    before = {path: fingerprint(path) for path in inputs}
    folder_before = sorted(p.name for p in inputs[0].parent.iterdir())
    run = subprocess.run(
        [sys.executable, str(DRIVER), command, str(tmp_path), *map(str, inputs)],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(results) == len(inputs)
    failing = {r["input"]: problems(r) for r in results if problems(r)}
    by_cause = collections.Counter(
        (Path(i).name.split("-")[0] + "-" + Path(i).name.split("-")[1], p[0])
        for i, p in failing.items()
    )
    outcomes = collections.Counter(r["code"] for r in results)
    print(
        f"\n{command}: {len(results)} inputs, exit codes {dict(outcomes)}, failing {len(failing)}"
    )
    assert not failing, dict(by_cause)
    assert {path: fingerprint(path) for path in inputs} == before, "an input was changed"
    assert sorted(p.name for p in inputs[0].parent.iterdir()) == folder_before
    # Outputs exist only for inputs the command accepted, and nothing half-written is left.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("command", COMMANDS)
def test_one_input_per_class_in_a_real_subprocess(
    corpus: dict[str, list[Path]], tmp_path: Path, command: str
) -> None:
    for kind, paths in corpus.items():
        path = paths[len(paths) // 2]
        before = fingerprint(path)
        args = ARGS[command](str(path), str(tmp_path / f"{kind}-out"))
        result = subprocess.run(
            [sys.executable, "-m", "monitor", *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert result.returncode in (0, 2), (kind, result.stderr)
        assert "Traceback" not in result.stderr, (kind, result.stderr)
        if result.returncode == 2:
            assert len(result.stderr.strip().splitlines()) == 1, (kind, result.stderr)
        assert fingerprint(path) == before
