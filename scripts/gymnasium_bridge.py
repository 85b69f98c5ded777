#!/usr/bin/env python3
"""Serves one Gymnasium environment to Nerva over stdin/stdout (`nerva rl train --gymnasium ID`).

Protocol: every message, in both directions, is a frame: a 4-byte little-endian unsigned length
followed by that many bytes of UTF-8 JSON. Nerva sends requests, the helper answers each with one
reply, in order.

  {"cmd": "make", "env_id": "CartPole-v1", "kwargs": {}}
      -> {"ok": true, "env_id": ..., "observation_space": SPACE, "action_space": SPACE,
          "max_episode_steps": 500 | null, "reward_threshold": 475.0 | null, "gymnasium_version": "1.x"}
  {"cmd": "reset", "seed": 42 | null}   -> {"ok": true, "observation": OBS, "state": [...]?}
  {"cmd": "step", "action": 1}           -> {"ok": true, "observation": OBS, "reward": 1.0,
                                             "terminated": false, "truncated": false}
  {"cmd": "close"}                       -> {"ok": true}, then the helper exits.

SPACE is {"type": "discrete", "n": N, "start": S} or {"type": "box", "shape": [...], "low": [...],
"high": [...]} (bounds flattened, infinities as null); OBS is an int for a discrete space and a
flat list of float32 values for a box. "state" is the float64 internal state drawn at reset, sent
when the environment keeps one as `unwrapped.state` (the classic-control tasks), so that a test
can start Nerva's own environment in exactly the same state. Any failure is answered {"ok": false, "error": "..."}; the
helper keeps serving after it. Anything the environment prints goes to stderr, never into frames.
"""
import json
import math
import os
import struct
import sys
import traceback


def read_frame(stream):
    header = stream.read(4)
    if len(header) == 0:
        return None
    if len(header) < 4:
        raise EOFError("truncated frame header")
    (length,) = struct.unpack("<I", header)
    payload = stream.read(length)
    if len(payload) < length:
        raise EOFError("truncated frame")
    return payload


def write_frame(stream, message):
    payload = json.dumps(message, allow_nan=False).encode("utf-8")
    stream.write(struct.pack("<I", len(payload)) + payload)
    stream.flush()


def finite_or_none(values):
    return [float(v) if math.isfinite(v) else None for v in values]


def describe(space, gymnasium):
    spaces = gymnasium.spaces
    if isinstance(space, spaces.Discrete):
        return {"type": "discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        return {"type": "box", "shape": list(space.shape),
                "low": finite_or_none(space.low.astype("float64").ravel().tolist()),
                "high": finite_or_none(space.high.astype("float64").ravel().tolist())}
    raise ValueError(f"unsupported space {space!r}: Nerva handles Discrete and Box spaces")


class Server:
    def __init__(self, gymnasium, numpy):
        self.gymnasium = gymnasium
        self.numpy = numpy
        self.env = None
        self.discrete_observations = False

    def observation(self, value):
        if self.discrete_observations:
            return int(value)
        array = self.numpy.asarray(value, dtype=self.numpy.float32).ravel()
        if not self.numpy.all(self.numpy.isfinite(array)):
            raise ValueError("the environment returned a non-finite observation")
        return [float(v) for v in array]

    def handle(self, request):
        command = request.get("cmd")
        if command == "make":
            if self.env is not None:
                self.env.close()
            env_id = request["env_id"]
            try:
                self.env = self.gymnasium.make(env_id, **request.get("kwargs", {}))
            except self.gymnasium.error.Error as error:
                raise ValueError(f"Gymnasium cannot make '{env_id}': {error}") from None
            observation_space = describe(self.env.observation_space, self.gymnasium)
            action_space = describe(self.env.action_space, self.gymnasium)
            self.discrete_observations = observation_space["type"] == "discrete"
            spec = self.env.spec
            return {"ok": True, "env_id": env_id, "observation_space": observation_space,
                    "action_space": action_space,
                    "max_episode_steps": spec.max_episode_steps if spec is not None else None,
                    "reward_threshold": spec.reward_threshold if spec is not None else None,
                    "gymnasium_version": self.gymnasium.__version__}
        if self.env is None:
            raise ValueError(f"'{command}' before 'make'")
        if command == "reset":
            observation, _ = self.env.reset(seed=request.get("seed"))
            reply = {"ok": True, "observation": self.observation(observation)}
            state = getattr(self.env.unwrapped, "state", None)
            if isinstance(state, self.numpy.ndarray) and state.dtype == self.numpy.float64:
                reply["state"] = [float(v) for v in state.ravel()]
            return reply
        if command == "step":
            action = request["action"]
            if not self.env.action_space.contains(action):
                raise ValueError(f"action {action} is not in {self.env.action_space}")
            observation, reward, terminated, truncated, _ = self.env.step(action)
            return {"ok": True, "observation": self.observation(observation), "reward": float(reward),
                    "terminated": bool(terminated), "truncated": bool(truncated)}
        if command == "close":
            self.env.close()
            self.env = None
            return {"ok": True}
        raise ValueError(f"unknown command {command!r}")


def main():
    # Frames go to the real stdout; fd 1 is pointed at stderr so that prints cannot corrupt them.
    output = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests = os.fdopen(os.dup(0), "rb")
    try:
        import gymnasium
        import numpy
    except ImportError as error:
        write_frame(output, {"ok": False, "error": f"cannot import gymnasium in {sys.executable}: {error}"})
        return 3
    server = Server(gymnasium, numpy)
    while True:
        try:
            payload = read_frame(requests)
        except EOFError as error:
            write_frame(output, {"ok": False, "error": f"malformed request: {error}"})
            return 2
        if payload is None:
            return 0
        try:
            request = json.loads(payload.decode("utf-8"))
            if not isinstance(request, dict):
                raise ValueError("a request must be a JSON object")
        except ValueError as error:
            write_frame(output, {"ok": False, "error": f"malformed request: {error}"})
            continue
        try:
            reply = server.handle(request)
        except Exception as error:  # reported to Nerva, which names it
            traceback.print_exc(file=sys.stderr)
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        write_frame(output, reply)
        if request.get("cmd") == "close":
            return 0


if __name__ == "__main__":
    sys.exit(main())
