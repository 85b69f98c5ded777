"""The model both sides train: flatten -> Linear(784, hidden) -> ReLU -> Linear(hidden, 10).

Array names and shapes are PyTorch's `nn.Sequential(nn.Flatten(), nn.Linear(784, h), nn.ReLU(),
nn.Linear(h, 10))` state dict, which is what Nerva's `--model mlp --hidden h` uses, so the
arrays travel by name. Written with numpy only, so the Flower venv needs nothing but flwr.
"""

import gzip
from pathlib import Path

import numpy as np

NAMES = ["1.weight", "1.bias", "3.weight", "3.bias"]


def initial_arrays(hidden: int, seed: int) -> dict[str, np.ndarray]:
    """PyTorch's default Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for index, (fan_in, fan_out) in zip((1, 3), ((784, hidden), (hidden, 10))):
        bound = 1.0 / np.sqrt(fan_in)
        arrays[f"{index}.weight"] = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        arrays[f"{index}.bias"] = rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)
    return arrays


def load_partition(data_dir: str, partition_id: int, num_partitions: int, size: int, seed: int):
    """`size` training examples of partition `partition_id` (an IID split of a seeded shuffle)."""
    folder = Path(data_dir)
    with gzip.open(folder / "train-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(folder / "train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    order = np.random.default_rng(seed).permutation(len(labels))
    share = order[partition_id::num_partitions][:size]
    return images[share].astype(np.float32) / 255.0, labels[share].astype(np.int64)


def forward(arrays, x):
    hidden = np.maximum(x @ arrays["1.weight"].T + arrays["1.bias"], 0)
    return hidden, hidden @ arrays["3.weight"].T + arrays["3.bias"]


def loss_and_gradients(arrays, x, y):
    """Mean cross-entropy and its gradients (backpropagation by hand)."""
    hidden, logits = forward(arrays, x)
    logits = logits - logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    n = len(y)
    loss = float(-np.log(probabilities[np.arange(n), y] + 1e-12).mean())
    d_logits = probabilities
    d_logits[np.arange(n), y] -= 1
    d_logits /= n
    d_hidden = (d_logits @ arrays["3.weight"]) * (hidden > 0)
    return loss, {
        "3.weight": d_logits.T @ hidden, "3.bias": d_logits.sum(axis=0),
        "1.weight": d_hidden.T @ x, "1.bias": d_hidden.sum(axis=0),
    }


def train(arrays, x, y, epochs: int, batch_size: int, lr: float, mu: float, seed: int) -> float:
    """Mini-batch SGD (with FedProx's proximal term when mu > 0); returns the last epoch's mean loss."""
    anchor = {k: v.copy() for k, v in arrays.items()}
    rng = np.random.default_rng(seed)
    last = 0.0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        total = 0.0
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            loss, grads = loss_and_gradients(arrays, x[batch], y[batch])
            for k in arrays:
                arrays[k] -= (lr * (grads[k] + mu * (arrays[k] - anchor[k]))).astype(np.float32)
            total += loss * len(batch)
        last = total / len(y)
    return last


def evaluate(arrays, x, y) -> tuple[float, float]:
    _, logits = forward(arrays, x)
    logits = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-log_probabilities[np.arange(len(y)), y].mean()), float((logits.argmax(axis=1) == y).mean())
