"""Byte-identical output across processes with different ``PYTHONHASHSEED``.

Within one process a set of strings iterates in the same order every time, so comparing two runs there
misses the commonest source of unstable output. Here the probe (``determinism_probe.py``) runs in three
processes with different hash seeds, and every output must be the same bytes in all of them: compiled
manifests of the golden fleets, ``kvplan render`` of every stack and example, the plan of a fixed desired and
live state as JSON and Markdown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("determinism_probe.py")
SEEDS = ("0", "1", "2718281")
COMPILE_CASES = sorted(p.name for p in (REPO / "tests" / "golden" / "compile").iterdir() if p.is_dir())
NAMES = [
    *(f"compile/{case}" for case in COMPILE_CASES),
    "render/stack-dev",
    "render/stack-staging",
    "render/stack-prod",
    "render/example-linux-cloud-init",
    "render/example-vlan-bridge-data-disk",
    "render/example-windows-uefi-tpm",
    "plan/review.json",
    "plan/review.md",
]


def probe(seed: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, str(PROBE)],
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, object]]:
    return {seed: probe(seed) for seed in SEEDS}


def test_the_processes_really_hashed_differently(runs: dict[str, dict[str, object]]) -> None:
    assert len({str(run["hash"]) for run in runs.values()}) == len(SEEDS)


def test_the_probe_covers_every_output(runs: dict[str, dict[str, object]]) -> None:
    for run in runs.values():
        assert isinstance(run["outputs"], dict)
        assert sorted(run["outputs"]) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_output_is_byte_identical_across_hash_seeds(runs: dict[str, dict[str, object]], name: str) -> None:
    texts = {seed: run["outputs"][name] for seed, run in runs.items()}  # type: ignore[index]
    first = texts[SEEDS[0]]
    assert isinstance(first, str)
    assert first.strip(), f"{name} is empty"
    for seed, text in texts.items():
        assert text == first, f"{name} differs between PYTHONHASHSEED={SEEDS[0]} and PYTHONHASHSEED={seed}"
