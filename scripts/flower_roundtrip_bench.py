#!/usr/bin/env python3
"""Measures a Nerva node's Flower round trip (pull + push) against a real flwr 1.42 SuperLink.

Starts `flower-superlink --insecure` on loopback, one `nerva fed flower-client` with an MLP of
784 -> H -> 10 (H = 5030: 3,998,860 parameters, ~16 MB of float32) and no local training
(local-epochs = 0), and runs scripts/flower-app's FedAvg ServerApp for a few rounds with only
that node. The node logs, per message, the seconds spent pulling (PullMessages, every PullObject
with SHA-256 checks, ConfirmMessageReceived), working and pushing (PushMessages + PushObject);
this prints bench JSON lines with the pull, push and pull+push times of the train messages.

usage: .venv-flower/bin/python scripts/flower_roundtrip_bench.py .build/release/nerva [--hidden 5030] [--rounds 3]
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("nerva")
    parser.add_argument("--hidden", type=int, default=5030)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    app = Path(__file__).resolve().parent / "flower-app"
    parameters = 784 * args.hidden + args.hidden + 10 * args.hidden + 10
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        home.mkdir()
        port = free_port()
        (home / "config.toml").write_text(
            f'[superlink]\ndefault = "bench"\n\n[superlink.bench]\naddress = "127.0.0.1:{port}"\ninsecure = true\n')
        env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}", FLWR_HOME=str(home),
                   FLWR_TELEMETRY_ENABLED="0", FLWR_DISABLE_UPDATE_CHECK="1")
        processes = []
        try:
            processes.append(subprocess.Popen(
                ["flower-superlink", "--insecure", "--host", "127.0.0.1", "--port", str(port),
                 "--disable-runtime-dependency-installation"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            deadline = time.time() + 120
            while time.time() < deadline:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.25)
            log_path = Path(folder) / "nerva.log"
            with open(log_path, "w") as log:
                node = subprocess.Popen(
                    [args.nerva, "fed", "flower-client", "--superlink", f"127.0.0.1:{port}", "--insecure", "--model", "mlp",
                     "--hidden", str(args.hidden), "--limit", "200", "--examples", "10", "--max-runs", "1"],
                    env=env, stdout=log, stderr=subprocess.STDOUT)
                processes.append(node)
                subprocess.run(["flwr", "run", str(app), "bench", "--stream", "--run-config",
                                f"hidden={args.hidden} min-nodes=1 fraction-evaluate=0.0 local-epochs=0 "
                                f"num-server-rounds={args.rounds}"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=900)
                node.wait(timeout=120)
            text = log_path.read_text()
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
    pattern = re.compile(r"replied to train \(pull ([0-9.]+) s, work ([0-9.]+) s, push ([0-9.]+) s\)")
    times = [(float(a), float(c)) for a, _, c in pattern.findall(text)]
    if not times:
        sys.exit("no train replies in the node's log:\n" + text)
    params = {"parameters": parameters, "megabytes": round(parameters * 4 / 1e6, 1), "rounds": len(times),
              "transport": "http-loopback"}
    best = min(times, key=lambda t: t[0] + t[1])
    for name, value in (("flower-pull", best[0]), ("flower-push", best[1]), ("flower-round-trip", best[0] + best[1])):
        print(json.dumps({"suite": "fed", "name": name, "params": params, "value": round(value, 4), "unit": "s"}))
    mean = sum(a + b for a, b in times) / len(times)
    print(json.dumps({"suite": "fed", "name": "flower-round-trip-mean", "params": params, "value": round(mean, 4), "unit": "s"}))


if __name__ == "__main__":
    main()
