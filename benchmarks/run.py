"""Speed and memory benchmark: companion's LSTM, GRU and Elman network against PyTorch's CPU layers.

Each measurement runs in its own process with the same number of BLAS/OpenMP threads, times forward +
backward (BPTT, every gradient) over at least 11 runs after warm-up, and reports the median. Besides the
ratio companion/torch it reports the *GEMM floor*: the time numpy needs for the same matrix products done
as a few large calls (the work BPTT cannot avoid), and the peak memory of forward + backward against the
size of the activations BPTT must keep. Every figure is printed next to its target; the script exits with
status 1 when a target is missed.

The measurements are paired: a round runs companion, torch and the floor back to back (in a rotating
order), and each ratio is the median over the rounds of that round's ratio. On a shared machine whose
speed drifts over seconds to minutes, comparing measurements taken minutes apart would mostly measure
the drift.

The script also says how busy the machine was while it measured: the CPU time other processes used and the
time the hypervisor took (steal), from ``/proc/stat``, as a share of all CPUs. With two cores, another process
that keeps one core busy slows two-thread BLAS by far more than half; a share above
:data:`BUSY_SHARE` makes the script warn that its ratios are not reliable.

The workers run with the machine's native BLAS kernel: ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``
(set on these machines for old OpenBLAS builds, which then run e.g. the Haswell kernel on a SkylakeX
core) are removed from the environment of the benchmark's own worker processes, and only there; the
tests and CI keep the environment as it is. Each worker reports which BLAS library and kernel it loaded
(threadpoolctl), and the script prints them. The torch worker also says which of PyTorch's implementations
ran the recurrence (:func:`worker.torch_path`). With torch 2.13 here, its float32 LSTM runs the whole
layer in oneDNN's fused RNN primitive, whose elementwise work is compiled and fused with the products,
while companion, numpy only, makes one numpy call per elementwise operation; the float64 LSTM and the
other models run a product per step and pointwise kernels on both sides.

Run it with ``make benchmark`` or ``python benchmarks/run.py`` (``--quick``: only the target shape).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

SHAPES = [(100, 32, 64, 128), (50, 1, 16, 32), (200, 64, 128, 256)]
TARGET_SHAPE = (100, 32, 64, 128)
MEMORY_SHAPE = (200, 64, 128, 256)
TARGETS = {  # at TARGET_SHAPE, 2 threads: (model, against, dtype) -> largest ratio companion / against
    ("lstm", "torch", "float64"): 0.8,
    ("lstm", "torch", "float32"): 1.5,
    ("lstm", "floor", "float64"): 2.0,
    ("lstm", "floor", "float32"): 2.0,
    ("gru", "torch", "float64"): 0.8,
    ("gru", "torch", "float32"): 1.5,
}
MODELS = ("lstm", "gru", "elman")
MEMORY_TARGET = 1.5
WORKER = Path(__file__).with_name("worker.py")
#: Environment variables that pin OpenBLAS to another kernel than the machine's own: unset in the workers.
NON_NATIVE_BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


#: Share of all CPUs that other processes (or the hypervisor) may take while the benchmark measures before its
#: ratios are called unreliable.
BUSY_SHARE = 0.10


class CpuClock(NamedTuple):
    """CPU seconds spent so far: by every process on the machine, taken by the hypervisor, and by this process
    and its finished children (the workers); with the wall clock."""

    busy: float
    steal: float
    own: float
    wall: float


def cpu_clock(stat=Path("/proc/stat")):
    """Read the :class:`CpuClock` now; None where the system has no ``/proc/stat`` (not Linux)."""
    try:
        fields = stat.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) / tick for v in fields[1:9])
    own = sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                resource.getrusage(resource.RUSAGE_CHILDREN)))
    return CpuClock(user + nice + system + irq + softirq, steal, own, time.monotonic())


def machine_load(start, end, cpus):
    """``(others, steal)``: the shares of all ``cpus`` CPUs' time between two :class:`CpuClock` readings that
    other processes used and that the hypervisor took.

    >>> machine_load(CpuClock(100.0, 5.0, 10.0, 0.0), CpuClock(130.0, 5.5, 30.0, 10.0), cpus=2)
    (0.5, 0.025)
    """
    capacity = (end.wall - start.wall) * cpus
    others = (end.busy - start.busy) - (end.own - start.own)
    return max(0.0, others) / capacity, (end.steal - start.steal) / capacity


def worker_env(threads):
    """The environment of a worker: this one, with ``threads`` BLAS/OpenMP threads and the native kernel."""
    env = {k: v for k, v in os.environ.items() if k not in NON_NATIVE_BLAS_VARS}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


def run_natively(threads):
    """Make this process measure like a worker (for the in-process benchmarks, ``ab.py`` and ``breakdown.py``):
    with ``threads`` BLAS/OpenMP threads and the native kernel. If a kernel override is set, the process
    restarts itself without it (OpenBLAS reads it when it loads), so call this before numpy is imported."""
    if any(var in os.environ for var in NON_NATIVE_BLAS_VARS):
        os.execve(sys.executable, [sys.executable, *sys.argv], worker_env(threads))
    os.environ.update(worker_env(threads))


def blas_text(blas):
    """One line for the BLAS libraries a worker loaded, e.g. ``openblas 0.3.27 SkylakeX (2 threads)``."""
    return "; ".join(f"{lib['internal_api']} {lib.get('version') or '?'} {lib.get('architecture') or ''}"
                     f" ({lib['num_threads']} threads)".replace("  ", " ") for lib in blas) or "none found"


def measure(impl, model, shape, dtype, threads, repeats, warmup):
    """Run one measurement in a fresh process and return its JSON result."""
    env = worker_env(threads)
    cmd = [sys.executable, str(WORKER), "--impl", impl, "--model", model,
           "--shape", ",".join(map(str, shape)), "--dtype", dtype,
           "--threads", str(threads), "--repeats", str(repeats), "--warmup", str(warmup)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker failed: {' '.join(cmd)}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


IMPLS = ("companion", "torch", "floor")


def paired_rounds(model, shape, dtype, args):
    """``args.rounds`` rounds, each measuring the three implementations back to back.

    The order rotates from round to round, so that no implementation always runs first or last.
    Returns a list of ``{impl: worker result}``.
    """
    rounds = []
    for k in range(args.rounds):
        order = IMPLS[k % 3:] + IMPLS[:k % 3]
        rounds.append({impl: measure(impl, model, shape, dtype, args.threads, args.repeats, args.warmup)
                       for impl in order})
    return rounds


def median_of(rounds, impl):
    """Median over the rounds of one implementation's median time, in seconds."""
    return statistics.median(r[impl]["median_s"] for r in rounds)


def target_text(target):
    return "" if target is None else f"<= {target}"


def spread(ratios):
    return f"[{min(ratios):.2f}-{max(ratios):.2f}]"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5,
                        help="paired rounds per configuration (companion, torch, floor back to back)")
    parser.add_argument("--quick", action="store_true", help="only the target shape")
    parser.add_argument("--json", type=Path, help="also write all results to this file")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS), help="models to measure")
    args = parser.parse_args(argv)
    if args.repeats < 11:
        parser.error("--repeats must be at least 11 (medians of fewer runs are too noisy here)")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    shapes = [TARGET_SHAPE] if args.quick else SHAPES
    results, missed = [], []
    clock_start = cpu_clock()
    unset = [f"{var}={os.environ[var]}" for var in NON_NATIVE_BLAS_VARS if var in os.environ]
    print("BLAS: the workers run the native kernel"
          + (f" (unset in the workers only: {', '.join(unset)})" if unset else " (no kernel override was set)"))
    kernels_printed = set()
    print(f"forward + backward (BPTT), median of {args.repeats} runs after {args.warmup} warm-up runs, "
          f"{args.threads} threads, each measurement in its own process; {args.rounds} paired rounds, "
          f"medians over the rounds (ratios: median of the rounds' ratios, their range in brackets)")
    header = (f"{'model':6} {'dtype':8} {'(T, B, D, H)':>20} {'companion':>11} {'torch':>9} "
              f"{'floor':>9} {'c/torch':>8} {'(range)':>11} {'target':>7} {'c/floor':>8} {'(range)':>11} "
              f"{'target':>7}")
    print(header)
    print("-" * len(header))
    for model in args.models:
        for shape in shapes:
            for dtype in ("float64", "float32"):
                rounds = paired_rounds(model, shape, dtype, args)
                lines = [f"  BLAS of {impl}: {blas_text(rounds[0][impl].get('blas', []))}" for impl in IMPLS]
                lines.append(f"  torch's {model} in {dtype}: {rounds[0]['torch'].get('torch_path', '?')}")
                for line in lines:
                    if line not in kernels_printed:
                        kernels_printed.add(line)
                        print(line)
                comp, ref, floor = (median_of(rounds, impl) for impl in IMPLS)
                ratios_torch = [r["companion"]["median_s"] / r["torch"]["median_s"] for r in rounds]
                ratios_floor = [r["companion"]["median_s"] / r["floor"]["median_s"] for r in rounds]
                r_torch, r_floor = statistics.median(ratios_torch), statistics.median(ratios_floor)
                t_torch = t_floor = None
                if shape == TARGET_SHAPE:
                    t_torch = TARGETS.get((model, "torch", dtype))
                    t_floor = TARGETS.get((model, "floor", dtype))
                    if t_torch is not None and r_torch > t_torch:
                        missed.append(f"{model} {dtype} {shape}: companion/torch {r_torch:.2f} > {t_torch}")
                    if t_floor is not None and r_floor > t_floor:
                        missed.append(f"{model} {dtype} {shape}: companion/floor {r_floor:.2f} > {t_floor}")
                print(f"{model:6} {dtype:8} {str(shape):>20} {comp * 1e3:9.2f}ms "
                      f"{ref * 1e3:7.2f}ms {floor * 1e3:7.2f}ms "
                      f"{r_torch:8.2f} {spread(ratios_torch):>11} {target_text(t_torch):>7} "
                      f"{r_floor:8.2f} {spread(ratios_floor):>11} {target_text(t_floor):>7}", flush=True)
                results.append({"model": model, "shape": shape, "dtype": dtype, "rounds": rounds,
                                "companion_s": comp, "torch_s": ref, "floor_s": floor,
                                "ratio_torch": r_torch, "ratio_floor": r_floor,
                                "ratios_torch": ratios_torch, "ratios_floor": ratios_floor})

    print()
    print(f"peak memory of forward + backward at (T, B, D, H) = {MEMORY_SHAPE}")
    for model in args.models:
        for dtype in ("float64", "float32"):
            mem = measure("memory", model, MEMORY_SHAPE, dtype, args.threads, 1, 0)
            ratio = mem["peak_bytes"] / mem["activation_bytes"]
            # The target is the LSTM's. The Elman network keeps only h, so the input gradient it must
            # return, (T, B, D), is already half of its activations at this shape: reported, not judged.
            target = MEMORY_TARGET if model == "lstm" else None
            if target is not None and ratio > target:
                missed.append(f"{model} {dtype} memory: {ratio:.2f} x activations > {target}")
            print(f"{model:6} {dtype:8} peak {mem['peak_bytes'] / 2**20:8.1f} MiB, activations BPTT keeps "
                  f"{mem['activation_bytes'] / 2**20:8.1f} MiB ({mem['activation_what']}): "
                  f"ratio {ratio:.2f}" + (f", target <= {target}" if target else ", no target"))
            results.append({"model": model, "dtype": dtype, "memory": mem, "ratio_memory": ratio})

    clock_end = cpu_clock()
    if clock_start is not None and clock_end is not None:
        others, steal = machine_load(clock_start, clock_end, os.cpu_count() or 1)
        print(f"\nthe machine while measuring: other processes used {others:.0%} of its {os.cpu_count()} CPUs, "
              f"the hypervisor took {steal:.0%} (steal)")
        if others + steal > BUSY_SHARE:
            print(f"WARNING: more than {BUSY_SHARE:.0%} of the machine was busy with other work: the times and "
                  "ratios above are not reliable; measure again on an idle machine")
        results.append({"machine": {"others_share": others, "steal_share": steal}})
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print()
    if missed:
        print("TARGETS MISSED:")
        for line in missed:
            print("  " + line)
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
