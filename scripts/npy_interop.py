"""Checks Nerva's .npy codec against NumPy itself.

`python scripts/npy_interop.py generate` prints JSON: for each case, the .npy bytes NumPy writes
(base64; every supported type, both byte orders, C and Fortran order, format versions 1.0–3.0)
and the expected shape and row-major values.
`python scripts/npy_interop.py check FILE` reads JSON [{"name", "npy", "shape", "dtype", "values"}] from
FILE, loads each file with np.load(allow_pickle=False), and exits 1 on any mismatch.
"""
import base64
import io
import json
import sys

import numpy as np


def generate():
    cases = []
    base = np.array([[0, 1, -2, 3.5], [100, -7.25, 0.5, 42]])
    for code in ["b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"]:
        values = np.abs(base) if code[0] in "ub" else base
        for order in "<>":
            if code in ("b1", "i1", "u1") and order == ">":
                continue
            dtype = np.dtype(("|" if code[1] == "1" else order) + code)
            for fortran in (False, True):
                array = np.asarray(values.astype(dtype), order="F" if fortran else "C")
                for version in [(1, 0), (2, 0), (3, 0)]:
                    buffer = io.BytesIO()
                    np.lib.format.write_array(buffer, array, version=version, allow_pickle=False)
                    cases.append({
                        "name": f"{dtype.str} fortran={fortran} v{version[0]}",
                        "npy": base64.b64encode(buffer.getvalue()).decode(),
                        "shape": list(array.shape),
                        "values": [float(v) for v in array.astype(np.float64).ravel(order="C")],
                    })
    for shape in [(), (0,), (3,), (2, 0, 3), (2, 3, 4)]:
        array = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        cases.append({"name": f"shape {shape}", "npy": base64.b64encode(buffer.getvalue()).decode(),
                      "shape": list(shape), "values": [float(v) for v in array.ravel()]})
    json.dump(cases, sys.stdout)


def check():
    failures = []
    with open(sys.argv[2], encoding="utf-8") as file:
        cases = json.load(file)
    for case in cases:
        data = base64.b64decode(case["npy"])
        try:
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except Exception as error:  # noqa: BLE001 - report any failure to load
            failures.append(f"{case['name']}: np.load failed: {error}")
            continue
        if array.dtype != np.dtype(case["dtype"]) or list(array.shape) != case["shape"]:
            failures.append(f"{case['name']}: got {array.dtype} {array.shape}")
        elif not np.allclose(array.astype(np.float64).ravel(), case["values"], rtol=1e-3, atol=1e-3):
            failures.append(f"{case['name']}: values differ: {array.ravel()[:8]}")
        elif data != _numpy_bytes(array):
            failures.append(f"{case['name']}: bytes differ from np.save's")
    print("\n".join(failures) or "ok")
    sys.exit(1 if failures else 0)


def _numpy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


if __name__ == "__main__":
    {"generate": generate, "check": check}[sys.argv[1]]()
