#!/usr/bin/env python3
"""PyTorch's figures for the `engine` suite, measured the way `nerva bench engine` measures Nerva.

Prints the same JSON lines as `nerva bench engine --json` (suite "engine-pytorch"), so both can be
compared on one machine:

    python3 scripts/bench_pytorch.py [--quick]

Needs `pip install torch`. Uses torch's default thread count (one per core).
"""
import json
import resource
import statistics
import sys
import time

import torch

QUICK = "--quick" in sys.argv
SECONDS = 0.4 if QUICK else 2.0


def report(name, params, value, unit):
    print(json.dumps({"suite": "engine-pytorch", "name": name, "params": params,
                      "value": round(value, 3), "unit": unit}), flush=True)


def rate(seconds, work, body, windows=5):
    """Median rate of `work` units per second over several windows, after a warm-up."""
    for _ in range(2):
        body()
    rates = []
    for _ in range(windows):
        iterations, start = 0, time.perf_counter()
        while True:
            body()
            iterations += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / windows:
                break
        rates.append(iterations * work / elapsed)
    return statistics.median(rates)


def gemm():
    torch.manual_seed(1)
    for n in (128, 256, 512, 1024, 2048):
        a, b = torch.rand(n, n), torch.rand(n, n)
        seconds = SECONDS * 1.5 if n >= 1024 else SECONDS / 2
        report("sgemm", {"n": n}, rate(seconds, 2 * n ** 3 / 1e9, lambda: torch.mm(a, b)), "GFLOP/s")


def mlp_training(batch):
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = 16
    inputs = torch.rand(batches * batch, 784)
    labels = torch.randint(0, 10, (batches * batch,))
    state = {"index": 0}

    def step():
        i = state["index"] % batches
        state["index"] += 1
        x, y = inputs[i * batch:(i + 1) * batch], labels[i * batch:(i + 1) * batch]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    report("mlp_train", {"batch": batch}, rate(SECONDS, batch, step), "samples/s")


if __name__ == "__main__":
    gemm()
    for batch in (64, 256):
        mlp_training(batch)
    report("peak_rss", {}, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")
