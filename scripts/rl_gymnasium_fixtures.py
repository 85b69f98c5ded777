#!/usr/bin/env python3
"""Records Gymnasium's behaviour as JSON fixtures for NervaRL's parity tests.

Usage: .venv/bin/python3 scripts/rl_gymnasium_fixtures.py [OUTPUT_DIR]
(default Tests/NervaRLTests/Fixtures). Needs `pip install gymnasium` (scripts/install-dependencies).

Written files:
- toy_text.json: for FrozenLake (4x4 and 8x8, slippery or not, a custom map), Taxi (dry and rainy) and
  CliffWalking, the full transition model P[s][a] = [(probability, next state, reward,
  terminated)], the initial-state distribution, and seeded trajectories with, per step, the
  uniform number Gymnasium's categorical sampler drew (so Nerva can replay the same draws).
  Taxi with `fickle_passenger` is recorded by seed only (its extra draws cannot be peeked as one).
- classic_control.json: CartPole-v1, MountainCar-v0 and Acrobot-v1 rollouts through gym.make
  (TimeLimit included): the initial float64 state Gymnasium drew, the actions, and per step the
  float32 observation, the float64 internal state, the reward and both flags.
- numpy_random.json: NumPy's seeding path as Gymnasium uses it, for several seeds:
  SeedSequence.generate_state, PCG64.random_raw, and the Generator methods (random, uniform,
  integers, choice with and without weights) in one interleaved sequence per seed, plus
  generate_random_map maps by seed.
"""
import copy
import json
import os
import sys

import gymnasium as gym
import numpy as np


def transition_model(env):
    unwrapped = env.unwrapped
    states = unwrapped.observation_space.n
    actions = unwrapped.action_space.n
    model = [[[[float(p), int(s), float(r), bool(t)] for (p, s, r, t) in unwrapped.P[s][a]]
              for a in range(actions)] for s in range(states)]
    return model, [float(x) for x in unwrapped.initial_state_distrib]


def toy_text_trajectory(env, seed, steps, policy_seed):
    """Random actions; with each step (and each reset after an episode ends) the uniform number
    Gymnasium's categorical sampler is about to draw, read from a copy of the generator."""
    actions_rng = np.random.default_rng(policy_seed)
    unwrapped = env.unwrapped
    record = {"seed": seed, "steps": []}

    def peek():
        return float(copy.deepcopy(unwrapped.np_random).random())

    # reset(seed=) makes np.random.Generator(PCG64(SeedSequence(seed))), as default_rng(seed) does.
    record["initial_draw"] = float(np.random.default_rng(seed).random())
    observation, _ = env.reset(seed=seed)
    record["initial_observation"] = int(observation)
    for _ in range(steps):
        action = int(actions_rng.integers(unwrapped.action_space.n))
        draw = peek()
        observation, reward, terminated, truncated, _ = env.step(action)
        record["steps"].append({"action": action, "draw": draw,
                                "observation": int(observation), "reward": float(reward),
                                "terminated": bool(terminated), "truncated": bool(truncated)})
        if terminated or truncated:
            record["steps"][-1]["reset_draw"] = peek()
            observation, _ = env.reset()
            record["steps"][-1]["reset_observation"] = int(observation)
    return record


def toy_text():
    cases = [
        ("FrozenLake-v1", {"map_name": "4x4", "is_slippery": True}),
        ("FrozenLake-v1", {"map_name": "4x4", "is_slippery": False}),
        ("FrozenLake8x8-v1", {"is_slippery": True}),
        ("FrozenLake-v1", {"desc": ["SFFH", "FHFF", "FFFF", "HFHG"], "is_slippery": True}),
        ("Taxi-v4", {}),
        ("Taxi-v4", {"is_rainy": True}),
        ("CliffWalking-v1", {}),
        ("CliffWalking-v1", {"is_slippery": True}),
        ("CliffWalkingSlippery-v1", {}),
        ("Taxi-v4", {"fickle_passenger": True, "fickle_probability": 1.0}),
        ("Taxi-v4", {"fickle_passenger": True, "is_rainy": True}),
    ]
    result = []
    for env_id, kwargs in cases:
        env = gym.make(env_id, **kwargs)
        model, initial = transition_model(env)
        result.append({
            "id": env_id, "kwargs": kwargs,
            "max_episode_steps": env.spec.max_episode_steps,
            "desc": [row.decode() for row in (b"".join(r) for r in env.unwrapped.desc)]
            if hasattr(env.unwrapped, "desc") else None,
            "model": model, "initial": initial,
            "trajectory": toy_text_trajectory(env, seed=7, steps=300, policy_seed=11)
            if not kwargs.get("fickle_passenger") else seeded_trajectory(env, seed=7, steps=3000, policy_seed=11),
        })
    return result


def seeded_trajectory(env, seed, steps, policy_seed):
    """Random actions from reset(seed=seed) on, without peeking at draws: Nerva replays it by seed.
    Passes pick-ups and drop-offs on purpose (Taxi), so the fickle passenger's change is exercised."""
    actions_rng = np.random.default_rng(policy_seed)
    unwrapped = env.unwrapped
    observation, _ = env.reset(seed=seed)
    record = {"seed": seed, "initial_draw": -1.0, "initial_observation": int(observation), "steps": []}
    changes = 0
    for _ in range(steps):
        action = int(actions_rng.integers(unwrapped.action_space.n))
        before = unwrapped.decode(unwrapped.s)
        observation, reward, terminated, truncated, _ = env.step(action)
        after = unwrapped.decode(observation)
        changes += int(before[3] != after[3])
        record["steps"].append({"action": action, "draw": -1.0,
                                "observation": int(observation), "reward": float(reward),
                                "terminated": bool(terminated), "truncated": bool(truncated)})
        if terminated or truncated:
            observation, _ = env.reset()
            record["steps"][-1]["reset_draw"] = -1.0
            record["steps"][-1]["reset_observation"] = int(observation)
    assert changes > 0, "the trajectory must include a change of destination"
    record["destination_changes"] = changes
    return record


def numpy_random():
    """NumPy's SeedSequence → PCG64 → Generator, as gymnasium.utils.seeding.np_random builds it."""
    cases = []
    for seed in (0, 1, 7, 42, 12345, 2**32 - 1, 2**32 + 5, 2**63 + 11, 2**64 - 1):
        sequence = np.random.SeedSequence(seed)
        generator, _ = gym.utils.seeding.np_random(seed)
        calls = []
        for index in range(40):
            kind = index % 8
            if kind == 0:
                calls.append(["random", [], float(generator.random())])
            elif kind == 1:
                calls.append(["uniform", [-0.05, 0.05], float(generator.uniform(-0.05, 0.05))])
            elif kind == 2:
                calls.append(["integers", [0, 3], int(generator.integers(0, 3))])
            elif kind == 3:
                calls.append(["integers", [-5, 1000], int(generator.integers(-5, 1000))])
            elif kind == 4:
                calls.append(["integers", [0, 2**40 + 3], int(generator.integers(0, 2**40 + 3))])
            elif kind == 5:
                calls.append(["choice", [3], int(generator.choice([0, 1, 2]))])
            elif kind == 6:
                calls.append(["choice_p", [0.8, 0.2], int(generator.choice(2, p=[0.8, 0.2]))])
            else:
                calls.append(["integers", [0, 2**32], int(generator.integers(0, 2**32))])
        cases.append({
            "seed": str(seed),
            "state32": [int(x) for x in sequence.generate_state(6, np.uint32)],
            "state64": [str(int(x)) for x in sequence.generate_state(4, np.uint64)],
            "raw": [str(int(x)) for x in np.random.PCG64(seed).random_raw(12)],
            "calls": calls,
        })
    maps = [{"size": size, "p": p, "seed": seed,
             "map": gym.envs.toy_text.frozen_lake.generate_random_map(size=size, p=p, seed=seed)}
            for size, p, seed in ((4, 0.8, 0), (8, 0.8, 1), (8, 0.6, 7), (12, 0.7, 42), (5, 1.0, 3))]
    return {"cases": cases, "random_maps": maps}


def balancing_action(observation):
    """A hand-written CartPole controller, so that long rollouts reach the 500-step limit."""
    x, x_dot, theta, theta_dot = observation
    return int(theta + 0.3 * theta_dot + 0.01 * x + 0.1 * x_dot > 0)


def classic_control_rollout(env_id, seed, steps, policy):
    env = gym.make(env_id)
    actions_rng = np.random.default_rng(seed + 1000)
    observation, _ = env.reset(seed=seed)
    unwrapped = env.unwrapped
    record = {"id": env_id, "seed": seed,
              "initial_state": [float(x) for x in np.asarray(unwrapped.state, dtype=np.float64)],
              "initial_observation": [float(x) for x in observation], "steps": []}
    for _ in range(steps):
        if policy == "balance":
            action = balancing_action(observation)
        else:
            action = int(actions_rng.integers(unwrapped.action_space.n))
        observation, reward, terminated, truncated, _ = env.step(action)
        record["steps"].append({
            "action": action, "observation": [float(x) for x in observation],
            "state": [float(x) for x in np.asarray(unwrapped.state, dtype=np.float64)],
            "reward": float(reward), "terminated": bool(terminated), "truncated": bool(truncated)})
        if terminated or truncated:
            break
    return record


def classic_control():
    rollouts = []
    for seed in (0, 1, 2):
        rollouts.append(classic_control_rollout("CartPole-v1", seed, 600, "random"))
    for seed in (3, 4):
        rollouts.append(classic_control_rollout("CartPole-v1", seed, 600, "balance"))
    for seed in (0, 1):
        rollouts.append(classic_control_rollout("MountainCar-v0", seed, 300, "random"))
    for seed in (0, 1):
        rollouts.append(classic_control_rollout("Acrobot-v1", seed, 600, "random"))
    # A long Acrobot episode (random torques rarely swing up: up to the 500-step limit).
    rollouts.append(classic_control_rollout("Acrobot-v1", 42, 600, "random"))
    rollouts.append(classic_control_rollout("CartPole-v0", 5, 300, "balance"))
    return rollouts


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "Tests", "NervaRLTests", "Fixtures")
    os.makedirs(out, exist_ok=True)
    header = {"gymnasium": gym.__version__, "numpy": np.__version__}
    with open(os.path.join(out, "toy_text.json"), "w") as f:
        json.dump({**header, "environments": toy_text()}, f, separators=(",", ":"))
    with open(os.path.join(out, "classic_control.json"), "w") as f:
        json.dump({**header, "rollouts": classic_control()}, f, separators=(",", ":"))
    with open(os.path.join(out, "numpy_random.json"), "w") as f:
        json.dump({**header, **numpy_random()}, f, separators=(",", ":"))
    print(f"fixtures written to {out}")


if __name__ == "__main__":
    main()
