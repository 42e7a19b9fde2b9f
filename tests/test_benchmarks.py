"""Smoke tests of the benchmark scripts: they must keep running as the package changes.

No timing is asserted here (the machines are shared and noisy); ``make benchmark`` judges the targets.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).resolve().parents[1] / "benchmarks" / "worker.py"


def run_worker(*args):
    done = subprocess.run([sys.executable, str(WORKER), *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("impl", ["companion", "torch", "floor"])
@pytest.mark.parametrize("model", ["lstm", "elman"])
def test_worker_times_forward_and_backward(impl, model):
    result = run_worker("--impl", impl, "--model", model, "--shape", "4,2,3,5", "--dtype", "float32",
                        "--threads", "1", "--repeats", "3", "--warmup", "1")
    assert result["runs"] == 3
    assert 0 < result["min_s"] <= result["median_s"]


@pytest.mark.parametrize("model, per_step", [("lstm", 6), ("elman", 1)])
def test_worker_memory_counts_the_activations_bptt_keeps(model, per_step):
    T, B, D, H = 20, 8, 4, 16
    result = run_worker("--impl", "memory", "--model", model, "--shape", f"{T},{B},{D},{H}", "--dtype", "float64")
    assert result["activation_bytes"] == T * B * per_step * H * 8
    # forward + backward must at least hold its own activations
    assert result["peak_bytes"] >= result["activation_bytes"]


def test_run_refuses_fewer_than_11_repeats():
    done = subprocess.run([sys.executable, str(WORKER.with_name("run.py")), "--repeats", "5"],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "at least 11" in done.stderr
