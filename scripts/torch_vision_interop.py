#!/usr/bin/env python3
"""Computes PyTorch's results for Nerva's vision layers, for Tests/NervaNNTests/PyTorchVisionInteropTests.

Usage:
  torch_vision_interop.py layers DIRECTORY
      For every DIRECTORY/<name>.case.safetensors, written by the Swift test, builds the torch.nn
      layer its metadata describes ({"layer": "Conv2d", "kwargs": "<JSON constructor arguments>"}),
      loads the tensors named "state.<key>" with load_state_dict(strict=True), runs the layer in
      training mode on "input", back-propagates "seed" (the output's gradient) and writes
      DIRECTORY/<name>.result.safetensors with "output", "input_grad", "grad.<parameter>" and, for
      layers with buffers, the buffers after the step as "state.<key>".
  torch_vision_interop.py cnn CHECKPOINT INPUT OUTPUT
      Builds the small CNN below, loads the Nerva checkpoint with load_state_dict(strict=True),
      and writes its evaluation-mode output for INPUT's "input" to OUTPUT as "output".

Requires `pip install torch safetensors`.
"""
import json
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

LAYERS = {
    "Conv2d": torch.nn.Conv2d,
    "ConvTranspose2d": torch.nn.ConvTranspose2d,
    "MaxPool2d": torch.nn.MaxPool2d,
    "AvgPool2d": torch.nn.AvgPool2d,
    "BatchNorm2d": torch.nn.BatchNorm2d,
    "Upsample": torch.nn.Upsample,
}


def cnn():
    """The architecture of PyTorchVisionInteropTests.cnn, index for index."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),     # [N, 4, 6, 6]
        nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),    # [N, 6, 12, 12]
        nn.AvgPool2d(4), nn.Upsample(scale_factor=2),                                     # [N, 6, 6, 6]
        nn.Conv2d(6, 8, 3, stride=2), nn.Flatten(), nn.Linear(32, 5))                     # [N, 5]


def metadata(path):
    with safe_open(path, framework="pt") as f:
        return f.metadata() or {}


def run_case(case_path, result_path):
    info = metadata(case_path)
    tensors = load_file(case_path)
    layer = LAYERS[info["layer"]](**json.loads(info["kwargs"]))
    state = {key[len("state."):]: value for key, value in tensors.items() if key.startswith("state.")}
    layer.load_state_dict(state, strict=True)
    layer.train()
    x = tensors["input"].clone().requires_grad_(True)
    y = layer(x)
    y.backward(tensors["seed"])
    result = {"output": y.detach(), "input_grad": x.grad}
    for name, parameter in layer.named_parameters():
        result["grad." + name] = parameter.grad
    for name, buffer in layer.named_buffers():
        result["state." + name] = buffer.to(torch.float32)
    save_file({key: value.contiguous() for key, value in result.items()}, result_path)


def main():
    command = sys.argv[1]
    if command == "layers":
        directory = sys.argv[2]
        for name in sorted(os.listdir(directory)):
            if name.endswith(".case.safetensors"):
                stem = name[: -len(".case.safetensors")]
                run_case(os.path.join(directory, name), os.path.join(directory, stem + ".result.safetensors"))
    elif command == "cnn":
        checkpoint, inputs, output = sys.argv[2:5]
        net = cnn()
        net.load_state_dict(load_file(checkpoint), strict=True)
        net.eval()
        with torch.no_grad():
            save_file({"output": net(load_file(inputs)["input"]).contiguous()}, output)
    else:
        sys.exit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
