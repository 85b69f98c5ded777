"""Checks Nerva's encoding of Flower messages against flwr itself (run with flwr 1.42 installed).

`python scripts/flower_interop.py deflate` prints, as JSON, the content-addressed objects that flwr
makes of a reference RecordDict (arrays, config, metrics): {"root": id, "objects": {id: base64}}.
`python scripts/flower_interop.py verify-auth FILE` checks the Fleet authentication headers in FILE
(JSON) as the SuperLink does (flwr.superlink.routers.fleet.node_auth).
`python scripts/flower_interop.py inflate FILE` reads the same JSON written by Nerva for the same
content, inflates it with flwr, and exits 1 unless the root id equals flwr's own and every value
survived.
"""
import base64
import json
import sys

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, MetricRecord, RecordDict
from flwr.supercore.inflatable.inflatable_object import get_all_nested_objects
from flwr.supercore.inflatable.inflatable_utils import inflate_object_from_contents


def reference():
    arrays = ArrayRecord({
        "fc.weight": Array(np.arange(6, dtype=np.float32).reshape(2, 3) / 4),
        "fc.bias": Array(np.array([1.5, -2.0], dtype=np.float32)),
        "zeros": Array(np.zeros((3,), dtype=np.float32)),
    })
    config = ConfigRecord({"lr": 0.1, "name": "nerva", "proximal-mu": 0.01, "server-round": 3})
    metrics = MetricRecord({"loss": 0.25, "num-examples": 10})
    return RecordDict({"arrays": arrays, "config": config, "metrics": metrics})


def deflate():
    content = reference()
    objects = get_all_nested_objects(content)
    json.dump({"root": content.object_id,
               "objects": {i: base64.b64encode(o.deflate()).decode() for i, o in objects.items()}}, sys.stdout)


def inflate():
    with open(sys.argv[2], encoding="utf-8") as file:
        sent = json.load(file)
    contents = {i: base64.b64decode(b) for i, b in sent["objects"].items()}
    content = inflate_object_from_contents(sent["root"], contents)
    expected = reference()
    problems = []
    if sent["root"] != expected.object_id:
        problems.append(f"root id {sent['root']} differs from flwr's {expected.object_id}")
    got = content["arrays"].to_numpy_ndarrays()
    want = expected["arrays"].to_numpy_ndarrays()
    if list(content["arrays"].keys()) != list(expected["arrays"].keys()):
        problems.append(f"array names {list(content['arrays'].keys())}")
    for a, b in zip(got, want):
        if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
            problems.append(f"array {a} != {b}")
    if dict(content["config"]) != dict(expected["config"]) or dict(content["metrics"]) != dict(expected["metrics"]):
        problems.append(f"records {dict(content['config'])} {dict(content['metrics'])}")
    print("\n".join(problems) or "ok")
    sys.exit(1 if problems else 0)


def verify_auth():
    import datetime
    from flwr.supercore.date import now
    from flwr.supercore.primitives.asymmetric import bytes_to_public_key, verify_signature

    with open(sys.argv[2], encoding="utf-8") as file:
        headers = json.load(file)
    public_key = base64.b64decode(headers["flwr-public-key"], validate=True)
    signature = base64.b64decode(headers["flwr-signature"], validate=True)
    timestamp = headers["flwr-timestamp"]
    age = (now() - datetime.datetime.fromisoformat(timestamp)).total_seconds()
    valid = verify_signature(bytes_to_public_key(public_key), timestamp.encode("ascii"), signature)
    print("ok" if valid and -5 < age < 305 else f"invalid: signature {valid}, age {age}")


if __name__ == "__main__":
    {"deflate": deflate, "inflate": inflate, "verify-auth": verify_auth}[sys.argv[1]]()
