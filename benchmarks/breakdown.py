"""Where the LSTM's time goes: the matrix products of forward + backward, timed alone, against the whole.

``run.py`` compares companion's LSTM with PyTorch and with the *GEMM floor* (the same products as six large
calls). This script splits companion's own time, in one process, at one shape: it runs forward and backward
of :class:`companion.LSTM`, then times, on the very buffers that forward left (same shapes, same strides),
the products the kernel (:mod:`companion._lstm_kernel`) makes:

* forward, one per step: ``weights @ reads[s]``, the four gate inputs from x, a and the bias;
* backward, one per step: ``U^T dz``, the gradient passed to the previous output;
* backward, two per chunk of steps: the weight gradients ``dz [x; a; 1]^T`` and the input gradient ``dz^T W``.

What remains of each pass is everything else: the elementwise work (gates, memory, local derivatives, one
numpy call at a time) and the bookkeeping. The GEMM floor is printed beside it, from the same worker
function ``run.py`` uses. Every part is timed once per round, in a rotating order, and the medians over the
rounds are printed; like the other benchmarks it runs the machine's
native BLAS kernel (it restarts itself without ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE``) and prints it.

    python benchmarks/breakdown.py [--dtype float32] [--shape 100,32,64,128] [--threads 2]
"""
from __future__ import annotations

import argparse
import statistics
import time

from run import blas_text, run_natively  # this folder is the script's own: on sys.path


def median_ms(step, repeats):
    """Median wall time of ``step()`` in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def breakdown(T, B, D, H, dtype, rounds, repeats):
    """Times in ms, each the median over ``rounds`` rounds of a median of ``repeats`` runs: ``forward``,
    ``backward``, the products of each, and ``floor``. A round times every part once, in an order that
    rotates from round to round, so that a drift of the machine's speed hits every part alike."""
    import numpy as np
    from worker import floor_step

    from companion.lstm import LSTM
    from companion.recurrent import time_chunks

    model = LSTM(D, H, dtype=dtype, seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, D)).astype(dtype)  # (T, B, D)
    dout = np.ones((T, B, H), dtype=dtype)  # (T, B, H)

    def forward_backward():
        model.forward(x)
        model.backward(dout)

    model.forward(x)
    reads, gates, _, weights, _ = model._record.caches[0]  # the kernel's own buffers: (T+1, K, B), (T, 4H, B)
    K = reads.shape[1]
    U_kT = np.ascontiguousarray(weights[:, D:D + H].T)  # (H, 4H), C-ordered as backward copies it
    W_k = weights[:, :D]  # (4H, D)
    da = np.empty((H, B), dtype=dtype)
    chunk, spans = time_chunks(T, B, H, reverse=False)
    dz_cols = rng.standard_normal((4 * H, chunk * B)).astype(dtype)  # stands for a chunk's dz (values, not garbage)
    read_cols = reads[:chunk].transpose(1, 0, 2).reshape(K, chunk * B)  # a chunk's slabs as columns, as backward
    # copies them (the copy is part of the rest)
    dweights = np.empty((4 * H, K), dtype=dtype)
    dx = np.empty((T, B, D), dtype=dtype)
    scratch = np.empty_like(gates[0])

    def forward_products():
        for t in range(T):
            np.matmul(weights, reads[t], out=scratch)  # (4H, B)

    def backward_step_products():
        for t in range(T):
            np.matmul(U_kT, gates[t], out=da)  # (H, B)

    def chunk_products():
        for s0, s1 in spans:
            n = s1 - s0
            np.matmul(dz_cols[:, :n * B], read_cols[:, :n * B].T, out=dweights)  # (4H, K)
            np.matmul(dz_cols[:, :n * B].T, W_k, out=dx[s0:s1].reshape(n * B, D))  # (n*B, D)

    parts = {"forward": lambda: model.forward(x), "forward + backward": forward_backward,
             "forward products": forward_products, "backward step products": backward_step_products,
             "backward chunk products": chunk_products, "floor": floor_step("lstm", T, B, D, H, dtype)}
    for step in parts.values():  # warm-up
        step()
    names = list(parts)
    measured = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            measured[name].append(median_ms(parts[name], repeats))
    times = {name: statistics.median(values) for name, values in measured.items()}
    times["backward"] = statistics.median(fb - f for fb, f in zip(measured["forward + backward"],
                                                                   measured["forward"]))
    return times


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", default="100,32,64,128", help="T,B,D,H (default: the benchmark's target shape)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--repeats", type=int, default=5, help="runs per timing (its median is kept)")
    args = p.parse_args(argv)
    run_natively(args.threads)  # before numpy is imported
    from worker import blas_in_use

    T, B, D, H = map(int, args.shape.split(","))
    t = breakdown(T, B, D, H, args.dtype, args.rounds, args.repeats)
    kernels = blas_text(blas_in_use())
    total = t["forward"] + t["backward"]
    products = t["forward products"] + t["backward step products"] + t["backward chunk products"]
    rows = [
        ("forward", t["forward"]),
        ("  per-step products", t["forward products"]),
        ("  the rest (elementwise, bookkeeping)", t["forward"] - t["forward products"]),
        ("backward", t["backward"]),
        ("  per-step products", t["backward step products"]),
        ("  chunk products (weights, inputs)", t["backward chunk products"]),
        ("  the rest (elementwise, bookkeeping)",
         t["backward"] - t["backward step products"] - t["backward chunk products"]),
        ("forward + backward", total),
        ("  all products", products),
        ("  the rest", total - products),
        ("GEMM floor (the same products as six large calls)", t["floor"]),
    ]
    print(f"LSTM {args.dtype} (T, B, D, H) = {(T, B, D, H)}, {args.threads} threads, BLAS: {kernels}; "
          f"{args.rounds} rounds, medians")
    for name, ms in rows:
        print(f"{name:52} {ms:8.2f} ms {ms / total:6.0%}")
    print(f"products / floor {products / t['floor']:.2f}; forward + backward / floor {total / t['floor']:.2f}")


if __name__ == "__main__":
    main()
