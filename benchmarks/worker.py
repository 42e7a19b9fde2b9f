"""One benchmark measurement in its own process; prints one JSON line. Used by ``benchmarks/run.py``."""
from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def timed(step, repeats, warmup):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "runs": repeats}


def companion_step(model_name, T, B, D, H, dtype):
    from companion.elman import ElmanRNN
    from companion.gru import GRU
    from companion.lstm import LSTM

    cls = {"lstm": LSTM, "gru": GRU, "elman": ElmanRNN}[model_name]
    model = cls(D, H, dtype=dtype, seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, D)).astype(dtype)
    dout = np.ones((T, B, H), dtype=dtype)

    def step():
        model.forward(x)
        model.backward(dout)

    return model, x, dout, step


def torch_step(model_name, T, B, D, H, dtype, threads, onednn=True):
    import torch

    torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = onednn  # off: no oneDNN RNN layer (see torch_path)
    tdtype = getattr(torch, dtype)
    torch.manual_seed(0)
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "elman": torch.nn.RNN}[model_name]
    model = cls(D, H).to(tdtype)
    x = torch.randn(T, B, D, dtype=tdtype, requires_grad=True)
    dout = torch.ones(T, B, H, dtype=tdtype)

    def step():
        for p in model.parameters():
            p.grad = None
        x.grad = None
        out, _ = model(x)
        out.backward(dout)

    return step


#: ATen operators that run a whole recurrent layer in oneDNN (mkldnn) instead of one product per step.
ONEDNN_RNN_OPS = ("aten::mkldnn_rnn_layer", "aten::mkldnn_rnn_layer_backward")


def torch_path(step):
    """Which of PyTorch's implementations ran the recurrence in ``step``, from the operators it called.

    With torch 2.13 on the course's machine, a CPU ``nn.LSTM`` in float32 runs as oneDNN's fused RNN
    primitive: one call per layer and direction, its elementwise work compiled and fused with the products.
    The LSTM in float64, and the GRU and the Elman network in both, run ATen operators step by step (a matrix
    product per step and pointwise kernels), as companion does with numpy. The two paths differ
    several-fold in speed, so the benchmark says which one its ratio companion/torch was measured against.
    """
    from torch.profiler import profile

    with profile() as prof:
        step()
    names = {event.name for event in prof.events()}
    fused = [op for op in ONEDNN_RNN_OPS if op in names]
    if fused:
        return f"oneDNN's fused RNN layer ({', '.join(fused)})"
    return "ATen operators step by step (a matrix product per step, pointwise kernels)"


def floor_step(model_name, T, B, D, H, dtype):
    """The matrix products of forward + backward, done as six large calls."""
    G = {"lstm": 4, "gru": 3, "elman": 1}[model_name] * H
    rng = np.random.default_rng(0)
    X = rng.standard_normal((T * B, D)).astype(dtype)  # (T*B, D)
    A = rng.standard_normal((T * B, H)).astype(dtype)  # (T*B, H) previous outputs
    W = rng.standard_normal((G, D)).astype(dtype)  # (G, D)
    U = rng.standard_normal((G, H)).astype(dtype)  # (G, H)
    Z = np.empty((T * B, G), dtype)
    dZ = rng.standard_normal((T * B, G)).astype(dtype)
    dA = np.empty((T * B, H), dtype)
    dX = np.empty((T * B, D), dtype)
    dW = np.empty((G, D), dtype)
    dU = np.empty((G, H), dtype)

    def step():
        np.matmul(X, W.T, out=Z)  # input projection, all steps
        np.matmul(A, U.T, out=Z)  # recurrent products, all steps
        np.matmul(dZ, U, out=dA)  # gradient on the previous outputs
        np.matmul(dZ, W, out=dX)  # gradient on the inputs
        np.matmul(dZ.T, X, out=dW)  # input weights
        np.matmul(dZ.T, A, out=dU)  # recurrent weights

    return step


def memory(model_name, T, B, D, H, dtype):
    import tracemalloc

    model, x, dout, step = companion_step(model_name, T, B, D, H, dtype)
    itemsize = np.dtype(dtype).itemsize
    if model_name == "lstm":
        per_step, what = 6 * H, "4 gate openings, memory c and output a per step"
    elif model_name == "gru":
        per_step, what = 5 * H, "r, z, n, r (U_n h + b_hn) and state h per step"
    else:
        per_step, what = H, "hidden state h per step"
    tracemalloc.start()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak_bytes": peak, "activation_bytes": T * B * per_step * itemsize, "activation_what": what}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--impl", choices=["companion", "torch", "floor", "memory"], required=True)
    p.add_argument("--model", choices=["lstm", "gru", "elman"], required=True)
    p.add_argument("--shape", required=True)
    p.add_argument("--dtype", choices=["float32", "float64"], required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=11)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--torch-onednn", choices=["on", "off"], default="on",
                   help="off: PyTorch without oneDNN (its float32 LSTM then runs step by step, like float64)")
    a = p.parse_args()
    T, B, D, H = map(int, a.shape.split(","))
    if a.impl == "companion":
        result = timed(companion_step(a.model, T, B, D, H, a.dtype)[-1], a.repeats, a.warmup)
    elif a.impl == "torch":
        step = torch_step(a.model, T, B, D, H, a.dtype, a.threads, onednn=a.torch_onednn == "on")
        result = timed(step, a.repeats, a.warmup)
        result["torch_path"] = torch_path(step)
    elif a.impl == "floor":
        result = timed(floor_step(a.model, T, B, D, H, a.dtype), a.repeats, a.warmup)
    else:
        result = memory(a.model, T, B, D, H, a.dtype)
    result["blas"] = blas_in_use(torch_too=a.impl == "torch")
    print(json.dumps(result))


def blas_in_use(torch_too=False):
    """The BLAS libraries this process loaded, with the kernel (architecture) OpenBLAS chose.

    threadpoolctl finds the shared libraries (numpy's OpenBLAS); torch links its BLAS statically, so
    for torch its own build information is added (the library and the CPU capability it dispatches to).
    """
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "version", "architecture", "num_threads")
    found = [{k: lib.get(k) for k in keys} for lib in threadpool_info() if lib.get("user_api") == "blas"]
    if torch_too:
        import re

        import torch

        blas = re.findall(r"BLAS_INFO=(\w+)", torch.__config__.show()) or ["?"]
        found.append({"internal_api": f"torch's {blas[0]}", "version": torch.__version__,
                      "architecture": torch.backends.cpu.get_cpu_capability(), "num_threads": torch.get_num_threads()})
    return found


if __name__ == "__main__":
    main()
