#!/usr/bin/env python3
"""Records Gymnasium's behaviour as JSON fixtures for NervaRL's parity tests.

Usage: .venv/bin/python3 scripts/rl_gymnasium_fixtures.py [OUTPUT_DIR]
(default Tests/NervaRLTests/Fixtures). Needs `pip install gymnasium` (scripts/install-dependencies).

Written files:
- toy_text.json: for FrozenLake (4x4 and 8x8, slippery or not, a custom map), Taxi (dry and rainy) and
  CliffWalking, the full transition model P[s][a] = [(probability, next state, reward,
  terminated)], the initial-state distribution, and seeded trajectories with, per step, the
  uniform number Gymnasium's categorical sampler drew (so Nerva can replay the same draws).
- classic_control.json: CartPole-v1, MountainCar-v0 and Acrobot-v1 rollouts through gym.make
  (TimeLimit included): the initial float64 state Gymnasium drew, the actions, and per step the
  float32 observation, the float64 internal state, the reward and both flags.
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
            "trajectory": toy_text_trajectory(env, seed=7, steps=300, policy_seed=11),
        })
    return result


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
    print(f"fixtures written to {out}")


if __name__ == "__main__":
    main()
