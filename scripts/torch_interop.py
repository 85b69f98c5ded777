#!/usr/bin/env python3
"""Checks that PyTorch loads Nerva checkpoints and that Nerva loads PyTorch's.

The reference architecture is the one the Swift test builds with Nerva:

    Sequential(Linear(4, 8), ReLU(), BatchNorm1d(8), Linear(8, 8), Tanh(), Linear(8, 3))

Usage:
  torch_interop.py load CHECKPOINT INPUTS_JSON
      load_state_dict(strict=True) from a Nerva safetensors file, then print the eval-mode outputs
      for INPUTS_JSON ({"shape": [n, 4], "values": [...]}) as JSON {"values": [...]}.
  torch_interop.py save CHECKPOINT INPUTS_JSON
      Train the architecture for three steps (so BatchNorm's running statistics move), save its
      state_dict with safetensors.torch.save_file, and print the eval-mode outputs.

Requires `pip install torch safetensors`.
"""
import json
import sys

import torch
from safetensors.torch import load_file, save_file


def model():
    return torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.BatchNorm1d(8),
        torch.nn.Linear(8, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


def inputs(path):
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    return torch.tensor(spec["values"], dtype=torch.float32).reshape(spec["shape"])


def outputs(net, x):
    net.eval()
    with torch.no_grad():
        return {"values": net(x).flatten().tolist()}


def main():
    command, checkpoint, inputs_path = sys.argv[1:4]
    x = inputs(inputs_path)
    net = model()
    if command == "load":
        net.load_state_dict(load_file(checkpoint), strict=True)
    elif command == "save":
        torch.manual_seed(0)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            optimizer.zero_grad()
            net(x).square().mean().backward()
            optimizer.step()
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, checkpoint)
    else:
        sys.exit(f"unknown command {command!r}")
    print(json.dumps(outputs(net, x)))


if __name__ == "__main__":
    main()
