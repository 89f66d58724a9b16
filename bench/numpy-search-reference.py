#!/usr/bin/env python3
"""Reference for bench/index-latency.ts: exact top-k search the numpy way — one matrix-vector product over the
(N, dim) float32 matrix, then argpartition + a sort of the k best — timed per query like the unir indexes.

Run (bench/index-latency.ts does this): env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=T \
    /usr/bin/python3 bench/numpy-search-reference.py --n 200000 --dim 128 --queries 50
Prints one JSON line: {"p50ms", "p95ms", "numpy", "blas"} (blas: OpenBLAS's core type when numpy uses it).
"""
import argparse
import ctypes
import json
import time

import numpy as np


def blas_core():
    with open("/proc/self/maps") as maps:
        libs = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1]})
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return {"library": path, "coreType": lib.openblas_get_corename().decode(),
                    "config": lib.openblas_get_config().decode()}
        except (OSError, AttributeError):
            continue
    return {"libraries": libs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    rng = np.random.default_rng(args.n)
    data = rng.standard_normal((args.n, args.dim), dtype=np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    qs = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    ms = []
    for j in range(args.queries + 3):
        t0 = time.perf_counter()
        scores = data @ qs[j % args.queries]
        top = np.argpartition(-scores, args.k)[: args.k]
        top = top[np.argsort(-scores[top])]
        if j >= 3:  # warm-up
            ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    pct = lambda p: ms[min(len(ms) - 1, int(p / 100 * len(ms)))]
    print(json.dumps({"p50ms": pct(50), "p95ms": pct(95), "numpy": np.__version__, "blas": blas_core(), "top": int(top[0])}))


if __name__ == "__main__":
    main()
