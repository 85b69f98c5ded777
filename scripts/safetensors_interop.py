#!/usr/bin/env python3
"""Interoperability checks between Nerva's safetensors code and the reference implementation.

Usage:
  safetensors_interop.py check FILE EXPECTED_JSON
      Loads FILE with safetensors.numpy.load_file and compares it with EXPECTED_JSON,
      {"tensors": {name: {"dtype": "float32", "shape": [...], "values": [...]}}, "metadata": {...}}
      (values flattened row-major). Exits 1 and explains every difference on mismatch.
  safetensors_interop.py make FILE
      Writes FILE with safetensors.numpy.save_file (several dtypes, metadata) and prints the
      expected contents in the same JSON format, values converted to float64.

Requires `pip install safetensors numpy`.
"""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def check(path, expected_path):
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    tensors = load_file(path)
    with safe_open(path, framework="np") as f:
        metadata = f.metadata() or {}
    problems = []
    if set(tensors) != set(expected["tensors"]):
        problems.append(f"names {sorted(tensors)} != expected {sorted(expected['tensors'])}")
    for name, want in expected["tensors"].items():
        if name not in tensors:
            continue
        got = tensors[name]
        if str(got.dtype) != want["dtype"]:
            problems.append(f"{name!r}: dtype {got.dtype} != expected {want['dtype']}")
        if list(got.shape) != want["shape"]:
            problems.append(f"{name!r}: shape {list(got.shape)} != expected {want['shape']}")
            continue
        values = np.array(want["values"], dtype=np.float64).astype(got.dtype).reshape(got.shape)
        if not np.array_equal(got, values):
            problems.append(f"{name!r}: values {got.ravel().tolist()} != expected {values.ravel().tolist()}")
    if metadata != expected.get("metadata", {}):
        problems.append(f"metadata {metadata!r} != expected {expected.get('metadata', {})!r}")
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok: {len(tensors)} tensors and {len(metadata)} metadata entries match")
    return 0


def make(path):
    tensors = {
        "f32": np.array([[1.5, -2.25, 3.0], [0.1, 1e-8, -1e30]], dtype=np.float32),
        "f64": np.array([0.5, -1.0e-3, 123456.789], dtype=np.float64),
        "f16": np.array([1.0, -2.0, 65504.0, 6.1e-5, 5.96e-8, 0.333], dtype=np.float16),
        "i64": np.array([-5, 1 << 40, 0], dtype=np.int64).reshape(3, 1),
        "i32": np.array([-7, 123456], dtype=np.int32),
        "i16": np.array([-32768, 32767], dtype=np.int16),
        "i8": np.array([-128, 127], dtype=np.int8),
        "u8": np.array([0, 255, 7], dtype=np.uint8),
        "bool": np.array([[True, False], [False, True]]),
        "scalar": np.array(3.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "layer.0.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
    }
    metadata = {"format": "np", "note": 'h\u00e9llo "quoted"\n\ttab'}
    save_file(tensors, path, metadata=metadata)
    expected = {
        "tensors": {
            name: {
                "dtype": str(array.dtype),
                "shape": list(array.shape),
                "values": array.astype(np.float64).ravel().tolist(),
            }
            for name, array in tensors.items()
        },
        "metadata": metadata,
    }
    print(json.dumps(expected))
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "check":
        return check(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == "make":
        return make(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
