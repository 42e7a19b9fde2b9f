"""Smoke tests of the benchmark scripts: they must keep running as the package changes.

No timing is asserted here (the machines are shared and noisy); ``make benchmark`` judges the targets.
"""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).resolve().parents[1] / "benchmarks" / "worker.py"


def run_worker(*args):
    done = subprocess.run([sys.executable, str(WORKER), *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("impl", ["companion", "torch", "floor"])
@pytest.mark.parametrize("model", ["lstm", "gru", "elman"])
def test_worker_times_forward_and_backward(impl, model):
    result = run_worker("--impl", impl, "--model", model, "--shape", "4,2,3,5", "--dtype", "float32",
                        "--threads", "1", "--repeats", "3", "--warmup", "1")
    assert result["runs"] == 3
    assert 0 < result["min_s"] <= result["median_s"]
    assert ("torch_path" in result) == (impl == "torch")
    if impl == "torch":  # with torch 2.13, only the float32 LSTM runs in oneDNN's fused RNN layer
        fused = "oneDNN's fused RNN layer (aten::mkldnn_rnn_layer, aten::mkldnn_rnn_layer_backward)"
        assert result["torch_path"] == (fused if model == "lstm" else STEP_BY_STEP)


STEP_BY_STEP = "ATen operators step by step (a matrix product per step, pointwise kernels)"


def test_torch_worker_without_onednn_runs_the_float32_lstm_step_by_step():
    result = run_worker("--impl", "torch", "--model", "lstm", "--shape", "4,2,3,5", "--dtype", "float32",
                        "--threads", "1", "--repeats", "3", "--warmup", "1", "--torch-onednn", "off")
    assert result["torch_path"] == STEP_BY_STEP


@pytest.mark.parametrize("model, per_step", [("lstm", 6), ("gru", 5), ("elman", 1)])
def test_worker_memory_counts_the_activations_bptt_keeps(model, per_step):
    T, B, D, H = 20, 8, 4, 16
    result = run_worker("--impl", "memory", "--model", model, "--shape", f"{T},{B},{D},{H}", "--dtype", "float64")
    assert result["activation_bytes"] == T * B * per_step * H * 8
    # forward + backward must at least hold its own activations
    assert result["peak_bytes"] >= result["activation_bytes"]


def test_lstm_peak_memory_meets_its_target():
    # Allocation-based (tracemalloc), so deterministic: the one benchmark target a unit test can hold.
    run = _load_run()
    shape = ",".join(map(str, run.MEMORY_SHAPE))
    result = run_worker("--impl", "memory", "--model", "lstm", "--shape", shape, "--dtype", "float32")
    assert result["peak_bytes"] <= run.MEMORY_TARGET * result["activation_bytes"]


def test_run_refuses_fewer_than_11_repeats():
    done = subprocess.run([sys.executable, str(WORKER.with_name("run.py")), "--repeats", "5"],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "at least 11" in done.stderr


def test_machine_load_counts_other_processes_and_steal_but_not_the_benchmark(tmp_path):
    run = _load_run()
    tick = os.sysconf("SC_CLK_TCK")
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal, in clock ticks
    stat.write_text(f"cpu  {100 * tick} 0 {20 * tick} {500 * tick} 0 0 0 {4 * tick} 0 0\ncpu0 1 2 3\n")
    clock = run.cpu_clock(stat)
    assert (clock.busy, clock.steal) == (120.0, 4.0)
    assert clock.own > 0  # this process has run
    start, end = run.CpuClock(120.0, 4.0, 1.0, 0.0), run.CpuClock(140.0, 5.0, 19.0, 10.0)
    others, steal = run.machine_load(start, end, cpus=2)  # 20 s busy, 18 of them the benchmark's own
    assert others == pytest.approx(0.1) and steal == pytest.approx(0.05)
    assert run.cpu_clock(tmp_path / "missing") is None


def _load_run():
    spec = importlib.util.spec_from_file_location("bench_run", WORKER.with_name("run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rounds_are_paired_in_rotating_order_and_ratios_are_medians_of_the_rounds(monkeypatch, capsys):
    run = _load_run()
    calls = []
    # Milliseconds per round. Per-round companion/torch ratios are 1.5, 2.5, 0.5 (median 1.5), while
    # the ratio of the medians would be 4 / 4 = 1.0: the printed 1.50 shows which one is reported.
    times = {"companion": [3, 10, 4], "torch": [2, 4, 8], "floor": [1, 5, 2]}

    def fake_measure(impl, model, shape, dtype, threads, repeats, warmup):
        if impl == "memory":
            return {"peak_bytes": 10, "activation_bytes": 10, "activation_what": "x"}
        k = sum(1 for c in calls if c == (impl, model, shape, dtype))
        calls.append((impl, model, shape, dtype))
        return {"median_s": times[impl][k] / 1e3, "min_s": 0.0, "runs": repeats}

    monkeypatch.setattr(run, "measure", fake_measure)
    status = run.main(["--quick", "--rounds", "3"])
    assert [c[0] for c in calls[:9]] == ["companion", "torch", "floor", "torch", "floor", "companion",
                                         "floor", "companion", "torch"]  # lstm float64, rotating order
    lstm64 = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("lstm   float64"))
    assert "4.00ms" in lstm64  # companion: median over the rounds
    assert " 1.50 " in lstm64 and "[0.50-2.50]" in lstm64  # companion/torch: median of the rounds' ratios
    assert " 2.00 " in lstm64 and "[2.00-3.00]" in lstm64  # companion/floor: 3, 2, 2 per round
    assert status == 1  # companion/torch 1.5 > 0.8 in float64: a missed target exits non-zero


def test_run_refuses_zero_rounds():
    done = subprocess.run([sys.executable, str(WORKER.with_name("run.py")), "--rounds", "0"],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "at least 1" in done.stderr


NATIVE_KERNEL = """
import json
import numpy
from threadpoolctl import threadpool_info
print(json.dumps([lib.get("architecture") for lib in threadpool_info() if lib.get("internal_api") == "openblas"]))
"""


def test_workers_run_the_native_blas_kernel_and_say_which(monkeypatch):
    run = _load_run()
    clean = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    native = json.loads(subprocess.run([sys.executable, "-c", NATIVE_KERNEL], env=clean, capture_output=True,
                                       text=True, check=True).stdout)
    assert native and native[0], "numpy's OpenBLAS reports its kernel"
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Prescott")  # an old kernel, to be overridden in the workers only
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "262144")
    env = run.worker_env(1)
    assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env and env["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["OPENBLAS_CORETYPE"] == "Prescott"  # this process keeps its environment
    result = run.measure("companion", "lstm", (4, 2, 3, 5), "float32", 1, 11, 1)
    assert [lib["architecture"] for lib in result["blas"] if lib["internal_api"] == "openblas"] == native
    assert native[0] in run.blas_text(result["blas"])
    forced = json.loads(subprocess.run([sys.executable, "-c", NATIVE_KERNEL], capture_output=True, text=True,
                                       check=True).stdout)
    assert forced != native  # the control: the variable does change the kernel where it is set


@pytest.mark.parametrize("model", ["lstm", "gru", "elman"])
def test_ab_times_two_versions_in_one_process_and_compares_their_results(model):
    root = WORKER.parents[1]
    done = subprocess.run([sys.executable, str(WORKER.with_name("ab.py")), str(root), str(root), "--shape", "4,2,3,5",
                           "--model", model, "--pairs", "2", "--repeats", "1", "--threads", "1"],
                          capture_output=True, text=True, check=True)
    out = done.stdout
    assert "2 alternating pairs" in out and "B/A: median" in out
    assert "largest difference between A's and B's outputs and gradients: 0" in out  # the same code twice


def test_breakdown_splits_the_lstm_time_into_its_products_and_the_rest():
    done = subprocess.run([sys.executable, str(WORKER.with_name("breakdown.py")), "--shape", "6,2,3,5",
                           "--rounds", "2", "--repeats", "1", "--threads", "1", "--dtype", "float64"],
                          capture_output=True, text=True, check=True)
    rows = {}
    for line in done.stdout.splitlines()[1:-1]:
        name, ms = line.rsplit(" ms ", 1)[0].rsplit(None, 1)
        rows.setdefault(name.strip(), []).append(float(ms))
    assert rows["forward + backward"][0] == pytest.approx(rows["forward"][0] + rows["backward"][0], rel=0.5)
    assert len(rows["per-step products"]) == 2 and len(rows["the rest (elementwise, bookkeeping)"]) == 2
    assert rows["all products"][0] > 0 and rows["GEMM floor (the same products as six large calls)"][0] > 0
    assert done.stdout.splitlines()[-1].startswith("products / floor ")


@pytest.mark.parametrize("script, args", [("ab.py", [".", "."]), ("breakdown.py", [])])
def test_in_process_benchmarks_restart_with_the_native_kernel(script, args):
    # run.run_natively: with an old kernel forced, the script restarts itself without the override (OpenBLAS
    # reads it when numpy loads) and prints the machine's own kernel
    clean = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    native = json.loads(subprocess.run([sys.executable, "-c", NATIVE_KERNEL], env=clean, capture_output=True,
                                       text=True, check=True).stdout)[0]
    once = ["--pairs", "1"] if script == "ab.py" else ["--rounds", "1"]
    done = subprocess.run([sys.executable, str(WORKER.with_name(script)), *args, "--shape", "4,2,3,5",
                           "--repeats", "1", "--threads", "1", *once],
                          cwd=WORKER.parents[1], env={**clean, "OPENBLAS_CORETYPE": "Prescott"}, capture_output=True,
                          text=True, check=True)
    first = done.stdout.splitlines()[0]
    assert "openblas" in first and f" {native} (1 threads)" in first, first
