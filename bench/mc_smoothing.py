#!/usr/bin/env python3
"""Reference Monte-Carlo smoothing workload in NumPy (the comparison for igo's estimator).

Workload (identical to `benches/mc_throughput.rs`): Rastrigin in d = 1000,
f(y) = 10 d + sum(y_i^2 - 10 cos(2 pi y_i)), evaluated at y = x - delta * u with
u ~ N(0, I_d) (kernel GISO), x_i = 0.5 sin(i), delta = 0.5; the estimate of
f_hat_delta(x) is the sample mean with its standard error. NumPy is vectorised over
chunks of samples (float64, numpy.random.default_rng(seed), i.e. PCG64 + ziggurat).

Prints one JSON object: samples, seconds (median of repeats), samples_per_s, estimate,
std_error, exact (closed form of spec 1.2b for GISO), z.
"""
import argparse
import json
import math
import time

import numpy as np


def rastrigin_rows(y):
    d = y.shape[1]
    return 10.0 * d + np.sum(y * y - 10.0 * np.cos(2.0 * np.pi * y), axis=1)


def run(n, d, delta, seed, chunk):
    rng = np.random.default_rng(seed)
    x = 0.5 * np.sin(np.arange(d, dtype=np.float64))
    total = 0.0
    total_sq = 0.0
    done = 0
    while done < n:
        m = min(chunk, n - done)
        u = rng.standard_normal((m, d))
        f = rastrigin_rows(x[None, :] - delta * u)
        total += f.sum()
        total_sq += (f * f).sum()
        done += m
    mean = total / n
    var = (total_sq - n * mean * mean) / (n - 1)
    return mean, math.sqrt(var / n)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--dim", type=int, default=1000)
    p.add_argument("--delta", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--chunk", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    times = []
    est = se = 0.0
    run(min(a.samples, 2000), a.dim, a.delta, a.seed, a.chunk)  # warm-up
    for r in range(a.repeats):
        t0 = time.perf_counter()
        est, se = run(a.samples, a.dim, a.delta, a.seed + r, a.chunk)
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    x = 0.5 * np.sin(np.arange(a.dim, dtype=np.float64))
    kappa = math.exp(-2.0 * math.pi ** 2 * a.delta ** 2)
    exact = float(np.sum(x * x) + a.delta ** 2 * a.dim + 10.0 * np.sum(1.0 - kappa * np.cos(2.0 * np.pi * x)))
    print(json.dumps({
        "implementation": "numpy " + np.__version__,
        "samples": a.samples, "dim": a.dim, "delta": a.delta,
        "seconds": med, "samples_per_s": a.samples / med,
        "estimate": est, "std_error": se, "exact": exact, "z": (est - exact) / se,
    }))


if __name__ == "__main__":
    main()
