"""Same-process A/B of companion's LSTM (or GRU, or Elman network): two versions of the package, timed alternately.

An optimisation stays only if this shows it. Each version is taken from a git revision (``git archive``)
or a folder holding ``companion/``, imported under its own name (``companion_a``, ``companion_b``) into
this one process, and forward + backward at one shape is timed in pairs, A then B, then B then A, and so
on: a drift of the shared machine's speed hits both sides alike. Each pair builds both models afresh, in the
pair's order, and warms them up before timing: with the two models built once, an A/A run (the same version
on both sides) gave B/A 1.026 to 1.039 for the GRU in float64 (four runs of 60 pairs), a bias that made any
change look 3% slower; with fresh models per pair the same runs gave 0.994 to 1.016. It prints the median
times, the median of the pairs' ratios B/A with its interquartile range, and the largest difference between
the two versions' outputs and gradients (0 for bit-identical results).

Like ``run.py``'s workers it runs the native BLAS kernel: if ``OPENBLAS_CORETYPE`` or ``OPENBLAS_L2_SIZE``
is set, it restarts itself without them (before numpy is imported), and it prints the kernel in use.

Example: this checkout against the commit before it, float32 at the benchmark's target shape::

    python benchmarks/ab.py HEAD~1 . --dtype float32 --pairs 40
"""
from __future__ import annotations

import argparse
import importlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import blas_text, run_natively  # this folder is the script's own: on sys.path

ROOT = Path(__file__).resolve().parents[1]


def export(version, name, into):
    """Copy the package of ``version`` (a git revision, or a folder holding companion/) to ``into/name``."""
    target = into / name
    folder = Path(version)
    if (folder / "companion").is_dir():
        shutil.copytree(folder / "companion", target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", version, "companion"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
        (into / "companion").rename(target)
    for path in target.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\b(from|import) companion\b", rf"\1 {name}", text), encoding="utf-8")
    return importlib.import_module(name)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a", help="version A: git revision or folder holding companion/")
    p.add_argument("b", help="version B: git revision or folder holding companion/")
    p.add_argument("--model", choices=["lstm", "gru", "elman"], default="lstm")
    p.add_argument("--shape", default="100,32,64,128", help="T,B,D,H (default: the benchmark's target shape)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--pairs", type=int, default=40)
    p.add_argument("--repeats", type=int, default=5, help="passes per timing (its median is kept)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    run_natively(args.threads)  # before numpy is imported
    from worker import blas_in_use

    import numpy as np

    T, B, D, H = map(int, args.shape.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, tmp)
        packages = [export(v, name, Path(tmp)) for v, name in ((args.a, "companion_a"), (args.b, "companion_b"))]
        rng = np.random.default_rng(0)
        x = rng.standard_normal((T, B, D)).astype(args.dtype)
        dout = rng.standard_normal((T, B, H)).astype(args.dtype)

        def build(pkg):
            # by name: a package from before the GRU existed can still be timed with its LSTM
            cls = getattr(pkg, {"lstm": "LSTM", "gru": "GRU", "elman": "ElmanRNN"}[args.model])
            return cls(D, H, dtype=np.dtype(args.dtype), seed=0)

        models = [build(pkg) for pkg in packages]

        def run(model):
            out, _ = model.forward(x)
            dx = model.backward(dout)
            return [np.array(out), dx, *model.grads.values()]

        results = [run(m) for m in models]
        diff = max(float(np.max(np.abs(a - b))) for a, b in zip(*results))

        def timed(model):
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                model.forward(x)
                model.backward(dout)
                times.append(time.perf_counter() - start)
            return statistics.median(times)

        for m in models:  # warm-up
            timed(m)
        pairs = []
        for k in range(args.pairs):
            order = (0, 1) if k % 2 == 0 else (1, 0)
            for i in order:  # fresh models, built in the pair's order: see the module docstring
                models[i] = build(packages[i])
                timed(models[i])  # warm-up of the new model's buffers
            t = {i: timed(models[i]) for i in order}
            pairs.append((t[0], t[1]))
    kernels = blas_text(blas_in_use())
    ratios = sorted(b / a for a, b in pairs)
    q1, q3 = ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4]
    print(f"{args.model} {args.dtype} (T, B, D, H) = {(T, B, D, H)}, {args.threads} threads, BLAS: {kernels}")
    print(f"{args.pairs} alternating pairs, each timing the median of {args.repeats} forward + backward passes")
    print(f"A {args.a}: {statistics.median(a for a, _ in pairs) * 1e3:.2f} ms")
    print(f"B {args.b}: {statistics.median(b for _, b in pairs) * 1e3:.2f} ms")
    print(f"B/A: median {statistics.median(ratios):.3f}, interquartile range [{q1:.3f}, {q3:.3f}]")
    print(f"largest difference between A's and B's outputs and gradients: {diff:.3g}")


if __name__ == "__main__":
    main()
