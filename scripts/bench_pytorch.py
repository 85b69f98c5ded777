#!/usr/bin/env python3
"""PyTorch (CPU) running the workloads of `nerva bench <suite>`, measured the way Nerva measures them.

Two ways to run it:

    bench_pytorch.py --serve [--threads N]
        The worker behind `nerva bench <suite> --compare-pytorch`. Reads one JSON request a line on
        stdin, {"name": "mlp_train", "params": {"batch": 64}, "quick": false}, runs that workload
        and writes one JSON line on stdout: {"value": 1234.5, "unit": "samples/s", "peak_rss": 710.2}
        (the process's peak RSS in MB while that workload ran), or
        {"error": "..."} for an unknown workload or bad params. Also answers "version" (PyTorch's
        version and CPU capability) and "peak_rss" (this process's peak RSS, MB). Exits on EOF.

    bench_pytorch.py SUITE [--quick] [--threads N]
        Runs every workload of SUITE (engine, vision, gan, rl, rec, fed) and prints JSON lines
        {"suite": "SUITE-pytorch", "name", "params", "value", "unit"}, like `nerva bench SUITE --json`.

--threads sets torch.set_num_threads (default: every core). Needs torch, numpy and, for `rl`,
gymnasium. Each workload mirrors the Swift benchmark named in its docstring: same shapes,
optimiser, batch and timing (`rate` is Nerva's `Stopwatch.rate`).
"""
import argparse
import gzip
import json
import os
import random
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def rate(seconds, work, body, windows=5):
    """Median rate of `work` units per second over several windows, after 2 warm-up calls."""
    for _ in range(2):
        body()
    rates = []
    for _ in range(windows):
        iterations, start = 0, time.perf_counter()
        while True:
            body()
            iterations += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / windows:
                break
        rates.append(iterations * work / elapsed)
    return statistics.median(rates)


def cycling(batches, step):
    """A body for `rate` that calls `step(*batch)` on the pre-made batches in turn."""
    state = {"index": 0}

    def body():
        step(*batches[state["index"] % len(batches)])
        state["index"] += 1
    return body


def adam_step(model, optimizer, inputs, labels):
    """One classification step: forward, cross entropy, backward, optimiser step."""
    optimizer.zero_grad()
    loss = F.cross_entropy(model(inputs), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


# ---- engine (Sources/NervaBenchmarks/EngineBenchmarks.swift) ----

def sgemm(params, quick):
    """A @ B, square n×n or m×k @ k×n, uniform [0, 1) entries."""
    torch.manual_seed(1)
    n = params["n"]
    m, k = params.get("m", n), params.get("k", n)
    a, b = torch.rand(m, k), torch.rand(k, n)
    seconds = 0.4 if quick else 2.0
    # Nerva: 1.5× the time for n >= 1024, half below; for m×n×k, the same rule on the product's size.
    seconds = seconds * 1.5 if m * n * k >= 1024 ** 3 else seconds / 2
    return rate(seconds, 2 * m * n * k / 1e9, lambda: torch.mm(a, b))


ELEMENTWISE = {
    "add": lambda x, y, m, r: x + y, "multiply": lambda x, y, m, r: x * y,
    "add_broadcast_row": lambda x, y, m, r: m + r, "relu": lambda x, y, m, r: torch.relu(x),
    "exp": lambda x, y, m, r: torch.exp(x), "sigmoid": lambda x, y, m, r: torch.sigmoid(x),
    "sum": lambda x, y, m, r: x.sum(),
}


def elementwise(params, quick):
    """One element-wise op over 2^20 floats (billions of elements per second, as Nerva counts)."""
    op, n = ELEMENTWISE[params["op"]], params.get("n", 1 << 20)
    torch.manual_seed(2)
    x, y = torch.rand(n) * 2 - 1, torch.rand(n)
    row, matrix = torch.rand(1024), x.reshape(1024, -1)
    return rate((0.4 if quick else 2.0) / 4, n / 1e9, lambda: op(x, y, matrix, row))


def mlp_train(params, quick):
    """MLP 784→256→256→10, Adam 1e-3, cross entropy, 16 pre-made random batches cycled."""
    batch = params["batch"]
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = [(torch.rand(batch, 784), torch.randint(0, 10, (batch,))) for _ in range(16)]
    return rate(0.4 if quick else 2.0, batch, cycling(batches, lambda x, y: adam_step(model, optimizer, x, y)))


# ---- vision (VisionBenchmarks.swift; Sources/nerva/Tasks/ImageClassification.swift) ----

def lenet(channels=(6, 16), hidden=(120, 84)):
    """NervaNN's LeNet: conv5 (pad 2)→ReLU→pool2, conv5→ReLU→pool2, 25·c2→h1→h2→10."""
    return nn.Sequential(
        nn.Conv2d(1, channels[0], 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(channels[0], channels[1], 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(channels[1] * 25, hidden[0]), nn.ReLU(), nn.Linear(hidden[0], hidden[1]), nn.ReLU(),
        nn.Linear(hidden[1], 10))


CLASSIFIERS = {
    # MLPClassifier's defaults: 784→256→128→10, ReLU, dropout 0.2 after each hidden layer (training mode).
    "mlp": lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                                 nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10)),
    "cnn": lenet,
    "cnn-wide": lambda: lenet(channels=(16, 32), hidden=(128, 84)),
}

CONVOLUTIONS = {  # name: (in, out, size, kernel, stride, padding)
    "lenet_conv1": (1, 6, 28, 5, 1, 2), "lenet_conv2": (6, 16, 14, 5, 1, 0),
    "dcgan_d_conv1": (1, 64, 28, 4, 2, 1), "dcgan_d_conv2": (64, 128, 14, 4, 2, 1),
}


def classify_train(params, quick):
    """One Adam (1e-3) step of a Fashion-MNIST classifier on random 1×28×28 images (16 batches cycled)."""
    batch, make = params["batch"], CLASSIFIERS[params["model"]]
    torch.manual_seed(5)
    model = make().train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = [(torch.rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,))) for _ in range(16)]
    return rate(0.4 if quick else 2.0, batch, cycling(batches, lambda x, y: adam_step(model, optimizer, x, y)))


def conv2d_train(params, quick):
    """Conv2d forward, .sum().backward() into the weights and an input that requires grad."""
    batch = params["batch"]
    cin, cout, size, kernel, stride, padding = CONVOLUTIONS[params["shape"]]
    torch.manual_seed(4)
    layer = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding)
    x = torch.rand(batch, cin, size, size, requires_grad=True)

    def body():
        layer.zero_grad()
        x.grad = None
        layer(x).sum().backward()
    return rate((0.4 if quick else 2.0) / 2, batch, body)


# ---- gan (GANBenchmarks.swift; NervaGAN's MLPGAN, DCGAN, GANModels, GANTrainer, GANTrainingConfiguration) ----

class MLPGenerator(nn.Module):
    """z (100) → 256 → 512 → 1024 → 784, LeakyReLU(0.2) between, tanh, reshaped to 1×28×28."""
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(100, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
                                 nn.Linear(512, 1024), nn.LeakyReLU(0.2), nn.Linear(1024, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z).reshape(-1, 1, 28, 28)


class DCGANGenerator(nn.Module):
    """z → ConvT 7×7 (2w) → BN, ReLU → ConvT 4×4/2 (w) → BN, ReLU → ConvT 4×4/2 (1) → tanh; w = 64."""
    def __init__(self, width=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(100, 2 * width, 7, bias=False), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(z.reshape(z.shape[0], -1, 1, 1))


def gan_models(architecture):
    """(G, D) as GANModelConfiguration's defaults build them; DCGAN weights N(0, 0.02²), BN scales N(1, 0.02²)."""
    if architecture == "mlp":
        d = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                          nn.Linear(256, 1), nn.Flatten(0))
        return MLPGenerator(), d
    if architecture != "dcgan":
        raise ValueError(f"unknown GAN model {architecture!r} (mlp or dcgan)")
    g = DCGANGenerator()
    d = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(128, 1, 7), nn.Flatten(0))
    for module in list(g.modules()) + list(d.modules()):
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0, 0.02)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1, 0.02)
    return g, d


def gradient_norm(parameters):
    return torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in parameters if p.grad is not None])).item()


def gan_train(params, quick):
    """GANTrainer.step with the default configuration: one D step then one G step, non-saturating loss,
    Adam(2e-4, β = (0.5, 0.999)) for both, z ~ U[0,1]^100 standardised to (z − ½)·√12, fakes generated once
    with their graph and reused by G's step, D run once on [reals; detached fakes], D frozen during G's step."""
    batch, architecture = params["batch"], params["model"]
    torch.manual_seed(6)
    g, d = gan_models(architecture)
    g.train(), d.train()
    g_optimizer = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones, zeros = torch.ones(batch), torch.zeros(batch)
    reals = [(torch.rand(batch, 1, 28, 28) * 2 - 1,) for _ in range(8)]

    def step(real):
        fakes = g((torch.rand(batch, 100) - 0.5) * 12 ** 0.5)
        logits = d(torch.cat([real, fakes.detach()]))
        real_logits, fake_logits = logits[:batch], logits[batch:]
        d_loss = (F.binary_cross_entropy_with_logits(real_logits, ones)
                  + F.binary_cross_entropy_with_logits(fake_logits, zeros))
        with torch.no_grad():  # the statistics Nerva's step reports: D's scores, losses and gradient norms
            real_logits.sigmoid().mean().item(), fake_logits.sigmoid().mean().item()
        d_loss.item()
        d_optimizer.zero_grad()
        d_loss.backward()
        gradient_norm(d.parameters())
        d_optimizer.step()
        for p in d.parameters():
            p.requires_grad_(False)
        g_loss = F.softplus(-d(fakes)).mean()
        g_loss.item()
        g_optimizer.zero_grad()
        g_loss.backward()
        gradient_norm(g.parameters())
        g_optimizer.step()
        for p in d.parameters():
            p.requires_grad_(True)

    seconds = 1.5 if quick else (8 if architecture == "mlp" else 15)
    return rate(seconds, 1, cycling(reals, step))


# ---- rl (RLBenchmarks.swift; NervaRL/DQN: DQNConfig's defaults are CleanRL dqn.py's Args) ----

def dqn_cartpole(params, quick):
    """Wall time of CleanRL's dqn.py loop on gymnasium CartPole-v1 for `steps` steps: Q-network 4→120→84→2,
    Adam 2.5e-4, γ 0.99, buffer 10,000 (numpy ring, uniform sampling with replacement), batch 128, train every
    10 steps after 10,000, MSE TD loss, hard target copy every 500 steps, ε 1 → 0.05 over half the run."""
    import gymnasium as gym
    steps = params["steps"]
    if params.get("replay", "uniform") != "uniform":
        raise ValueError("only the uniform replay is implemented")
    lr, gamma, buffer_size, batch, target_every, starts, train_every = 2.5e-4, 0.99, 10_000, 128, 500, 10_000, 10
    start_e, end_e, duration = 1.0, 0.05, 0.5 * steps
    random.seed(0), np.random.seed(0), torch.manual_seed(0)
    make = lambda: nn.Sequential(nn.Linear(4, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 2))
    q, target = make(), make()
    target.load_state_dict(q.state_dict())
    optimizer = torch.optim.Adam(q.parameters(), lr=lr)
    observations = np.zeros((buffer_size, 4), np.float32)
    next_observations = np.zeros((buffer_size, 4), np.float32)
    actions = np.zeros((buffer_size, 1), np.int64)
    rewards, terminations = np.zeros(buffer_size, np.float32), np.zeros(buffer_size, np.float32)
    position = count = 0
    # A plain gym.make env (TimeLimit 500) rather than CleanRL's 1-env SyncVectorEnv, as Nerva steps one env.
    env = gym.make("CartPole-v1")
    start = time.perf_counter()
    obs, _ = env.reset(seed=0)
    for step in range(steps):
        epsilon = max((end_e - start_e) / duration * step + start_e, end_e)
        if random.random() < epsilon:
            action = env.action_space.sample()
        else:
            with torch.no_grad():  # CleanRL records this graph; Nerva's greedy action builds none
                action = int(q(torch.from_numpy(np.asarray(obs, np.float32))).argmax())
        next_obs, reward, terminated, truncated, _ = env.step(action)
        observations[position], next_observations[position] = obs, next_obs  # final obs kept on truncation
        actions[position], rewards[position], terminations[position] = action, reward, float(terminated)
        position, count = (position + 1) % buffer_size, min(count + 1, buffer_size)
        obs = env.reset()[0] if terminated or truncated else next_obs
        if step > starts:
            if step % train_every == 0:
                index = np.random.randint(0, count, batch)
                with torch.no_grad():
                    target_max = target(torch.from_numpy(next_observations[index])).max(dim=1).values
                    td_target = torch.from_numpy(rewards[index]) + gamma * target_max * (
                        1 - torch.from_numpy(terminations[index]))
                old_val = q(torch.from_numpy(observations[index])).gather(1, torch.from_numpy(actions[index])).squeeze(1)
                loss = F.mse_loss(td_target, old_val)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            if step % target_every == 0:
                target.load_state_dict(q.state_dict())
    env.close()
    return time.perf_counter() - start


# ---- rec (RecBenchmarks.swift; NervaRec/Models/NCF.swift, NCFSettings.paper) ----

class NeuMF(nn.Module):
    """GMF (factors) and MLP tower (64→32→16→8, embeddings of 32, Xavier-uniform Linear) fused by Linear(·, 1);
    embeddings N(0, 0.01²)."""
    def __init__(self, users, items, factors, layers=(64, 32, 16, 8)):
        super().__init__()
        self.gmf_user, self.gmf_item = nn.Embedding(users, factors), nn.Embedding(items, factors)
        self.mlp_user, self.mlp_item = nn.Embedding(users, layers[0] // 2), nn.Embedding(items, layers[0] // 2)
        for table in (self.gmf_user, self.gmf_item, self.mlp_user, self.mlp_item):
            nn.init.normal_(table.weight, 0, 0.01)
        tower = []
        for a, b in zip(layers, layers[1:]):
            linear = nn.Linear(a, b)
            nn.init.xavier_uniform_(linear.weight)
            tower += [linear, nn.ReLU()]
        self.tower = nn.Sequential(*tower)
        self.prediction = nn.Linear(factors + layers[-1], 1)

    def forward(self, users, items):
        gmf = self.gmf_user(users) * self.gmf_item(items)
        mlp = self.tower(torch.cat([self.mlp_user(users), self.mlp_item(items)], dim=1))
        return self.prediction(torch.cat([gmf, mlp], dim=1)).reshape(-1)


def neumf_train(params, quick):
    """NCFTrainer.step: BCE with logits, Adam 1e-3, 943 users × 1682 items, 1 positive per 4 negatives,
    256 pre-made random batches cycled."""
    batch, factors = params["batch"], params["factors"]
    users, items = 943, 1682
    torch.manual_seed(1)
    model = NeuMF(users, items, factors).train()
    # Nerva's Adam updates only the embedding rows a batch touched (as SparseAdam); dense nn.Embedding with
    # torch.optim.Adam is what PyTorch NCF code uses and is faster here than sparse=True + SparseAdam.
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = [(torch.randint(0, users, (batch,)), torch.randint(0, items, (batch,)), (torch.rand(batch) < 0.2).float())
               for _ in range(256)]

    def step(u, i, y):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(u, i), y)
        loss.backward()
        optimizer.step()
        loss.item()
    return rate(2 if quick else 6, batch, cycling(batches, step))


# ---- fed (FedBenchmarks.swift rounds(); NervaFed ClassificationParticipant, FederatedRounds) ----

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
_fashion_cache = {}


def fashion_mnist(limit):
    """The first `limit` training images [N, 1, 28, 28] in [0, 1] and labels; random ones when absent."""
    if limit not in _fashion_cache:
        try:
            with gzip.open(os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz")) as f:
                images = np.frombuffer(f.read(), np.uint8, offset=16)[:limit * 784]
            with gzip.open(os.path.join(FASHION_MNIST, "train-labels-idx1-ubyte.gz")) as f:
                labels = np.frombuffer(f.read(), np.uint8, offset=8)[:limit]
            data = (torch.from_numpy(images.astype(np.float32) / 255).reshape(-1, 1, 28, 28),
                    torch.from_numpy(labels.astype(np.int64)))
        except OSError:
            print(f"bench_pytorch: no Fashion-MNIST in {FASHION_MNIST}, using random images", file=sys.stderr)
            generator = torch.Generator().manual_seed(0)
            data = torch.rand(limit, 1, 28, 28, generator=generator), torch.randint(0, 10, (limit,), generator=generator)
        _fashion_cache[limit] = data
    return _fashion_cache[limit]


def fedavg_round(params, quick):
    """The best of 2 (quick: 1) FedAvg rounds: each of `clients` IID shares of Fashion-MNIST trains the
    "2NN" (784→200→200→10) from the global weights for E epochs of SGD (lr 0.01, no momentum) on shuffled
    batches of B, one client after another; then the example-weighted mean becomes the global model.
    `threads` sets torch's intra-op threads for the request (Nerva runs that many clients at once)."""
    clients, per_client = params["clients"], params["samples_per_client"]
    epochs, batch, threads = params.get("E", 1), params.get("B", 10), params.get("threads", torch.get_num_threads())
    if params.get("model", "mlp-784-200-200-10") != "mlp-784-200-200-10":
        raise ValueError("only the mlp-784-200-200-10 model is implemented")
    images, labels = fashion_mnist(clients * per_client)
    torch.manual_seed(1)
    shares = [share.sort().values for share in torch.randperm(len(labels)).chunk(clients)]
    make = lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 200), nn.ReLU(),
                                 nn.Linear(200, 10))
    global_model, models = make(), [make() for _ in shares]
    torch.optim.SGD(global_model.parameters(), lr=0.01)  # pays torch.optim's one-time import of torch._dynamo (~2 s) now
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        times = []
        for round_ in range(1 if quick else 2):
            start = time.perf_counter()
            state, updates = global_model.state_dict(), []
            for client, (model, share) in enumerate(zip(models, shares)):
                model.load_state_dict(state)
                optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0)
                generator = torch.Generator().manual_seed(round_ * 1000 + client)
                for _ in range(epochs):
                    total = 0.0
                    for rows in share[torch.randperm(len(share), generator=generator)].split(batch):
                        optimizer.zero_grad()
                        loss = F.cross_entropy(model(images[rows]), labels[rows])
                        loss.backward()
                        optimizer.step()
                        total += loss.item() * len(rows)
                updates.append((nn.utils.parameters_to_vector(model.parameters()).detach(), len(share)))
            weights = torch.tensor([float(n) for _, n in updates])
            average = (torch.stack([u for u, _ in updates]) * (weights / weights.sum())[:, None]).sum(0)
            nn.utils.vector_to_parameters(average, global_model.parameters())
            times.append(time.perf_counter() - start)
        return min(times)
    finally:
        torch.set_num_threads(previous_threads)


# ---- the registry, the serve loop and the suites ----

WORKLOADS = {
    "sgemm": (sgemm, "GFLOP/s"), "elementwise": (elementwise, "GFLOP/s"), "mlp_train": (mlp_train, "samples/s"),
    "classify_train": (classify_train, "samples/s"), "conv2d_train": (conv2d_train, "samples/s"),
    "gan_train": (gan_train, "steps/s"), "dqn_cartpole": (dqn_cartpole, "s"),
    "neumf_train": (neumf_train, "samples/s"), "fedavg_round": (fedavg_round, "s"),
}


def suite_requests(suite, quick, threads):
    """The (name, params) pairs `nerva bench SUITE` reports, in its order."""
    if suite == "engine":
        return ([("sgemm", {"n": n}) for n in (128, 256, 512, 1024, 2048)] + [("sgemm", {"m": 64, "n": 256, "k": 784})]
                + [("elementwise", {"op": op, "n": 1 << 20}) for op in ELEMENTWISE]
                + [("mlp_train", {"batch": b}) for b in (64, 256)])
    if suite == "vision":
        return ([("conv2d_train", {"shape": s, "batch": 64}) for s in CONVOLUTIONS]
                + [("classify_train", {"model": m, "batch": 64}) for m in CLASSIFIERS])
    if suite == "gan":
        return [("gan_train", {"model": m, "batch": 64}) for m in ("mlp", "dcgan")]
    if suite == "rl":
        return [("dqn_cartpole", {"steps": 20_000 if quick else 50_000, "replay": "uniform"})]
    if suite == "rec":
        return [("neumf_train", {"batch": 256, "factors": 8})]
    if suite == "fed":
        counts = sorted({1, threads} - ({1} if quick and threads > 1 else set()))
        return [("fedavg_round", {"clients": 10, "samples_per_client": 1_000 if quick else 6_000,
                                  "model": "mlp-784-200-200-10", "E": 1, "B": 10, "threads": t}) for t in counts]
    raise ValueError(f"unknown suite {suite!r}")


HIGHEST_PEAK = [0.0]


def peak_since_reset():
    """This process's peak RSS (MB) since the last reset_peak() (Linux's VmHWM), or None."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
                    HIGHEST_PEAK[0] = max(HIGHEST_PEAK[0], peak)
                    return peak
    except OSError:
        pass
    return None


def reset_peak():
    """Starts a new peak at the current RSS (writing 5 to /proc/self/clear_refs), as nerva bench does."""
    peak_since_reset()
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def answer(request):
    """The reply to one request: {"value", "unit", "peak_rss"}, {"version"} or {"error"}."""
    if not isinstance(request, dict) or not isinstance(request.get("name"), str):
        return {"error": "a request is {\"name\": ..., \"params\": {...}, \"quick\": false}"}
    name, params = request["name"], request.get("params") or {}
    if name == "version":
        return {"version": f"{torch.__version__.split('+')[0]} ({torch.backends.cpu.get_cpu_capability()})"}
    if name == "peak_rss":  # the process's, over every workload (resets lower ru_maxrss)
        peak_since_reset()
        return {"value": max(HIGHEST_PEAK[0], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "unit": "MB"}
    if name not in WORKLOADS:
        return {"error": f"no PyTorch workload named {name!r}"}
    function, unit = WORKLOADS[name]
    time.sleep(0.3)  # let the other process's idle workers settle first
    try:
        reset_peak()
        value = float(function(params, bool(request.get("quick", False))))
        return {"value": value, "unit": unit, "peak_rss": peak_since_reset()}
    except KeyError as missing:
        return {"error": f"{name}: missing or unknown parameter value {missing}"}
    except Exception as error:  # a bad request must not end the loop
        return {"error": f"{name}: {type(error).__name__}: {error}"}


def serve():
    for line in iter(sys.stdin.readline, ""):
        if not line.strip():
            continue
        try:
            reply = answer(json.loads(line))
        except json.JSONDecodeError as error:
            reply = {"error": f"not JSON: {error}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("suite", nargs="?", choices=["engine", "vision", "gan", "rl", "rec", "fed"])
    parser.add_argument("--serve", action="store_true", help="answer JSON requests on stdin (for nerva bench)")
    parser.add_argument("--quick", action="store_true", help="shorter, less precise measurements")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: every core)")
    args = parser.parse_args()
    if not args.serve and args.suite is None:
        parser.error("give a suite or --serve")
    torch.set_num_threads(args.threads)
    if args.serve:
        return serve()
    for name, params in suite_requests(args.suite, args.quick, args.threads):
        reply = answer({"name": name, "params": params, "quick": args.quick})
        if "error" in reply:
            print(f"bench_pytorch: {reply['error']}", file=sys.stderr)
            continue
        print(json.dumps({"suite": f"{args.suite}-pytorch", "name": name, "params": params,
                          "value": round(reply["value"], 3), "unit": reply["unit"]}), flush=True)
    rss = answer({"name": "peak_rss"})
    print(json.dumps({"suite": f"{args.suite}-pytorch", "name": "peak_rss", "params": {},
                      "value": round(rss["value"], 3), "unit": "MB"}), flush=True)


if __name__ == "__main__":
    main()
