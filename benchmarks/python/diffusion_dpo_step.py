#!/usr/bin/env python3
"""Times one Diffusion-DPO training step in PyTorch, for comparison with dpo-ts's throughput benchmark.

The same MLP denoiser as @dpo-ts/diffusion's MLPDenoiser (flattened 28x28 image -> hidden
width, residual layers conditioned on a timestep MLP plus class embedding, gated input skip)
and the same step as DiffusionDPOTrainer with a frozen reference: the chosen and rejected
images of every pair noised with the pair's shared timestep and noise, policy forward +
backward over the 2 x pairs images, reference forward without gradients, scores = -0.5 * MSE,
the sigmoid DPO loss, global-norm clipping at 1 and one AdamW update.

    python3 benchmarks/python/diffusion_dpo_step.py --pairs 64 --threads 1 --steps 10 --warmup 2

Prints one JSON object: the torch version, threads, every step's seconds and the median.
Exits 3 when torch is missing (the benchmark reports it as absent).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--time-dim", type=int, default=64)
    parser.add_argument("--pixels", type=int, default=28 * 28)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--timesteps", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--beta", type=float, default=5000.0)
    return parser.parse_args()


ARGS = parse_args()
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)

try:
    import torch
    import torch.nn.functional as F
except ImportError as error:
    print(json.dumps({"error": f"torch not importable: {error}"}))
    sys.exit(3)


class MLPDenoiser(torch.nn.Module):
    def __init__(self, pixels: int, hidden: int, layers: int, time_dim: int, classes: int):
        super().__init__()
        self.time_dim = time_dim
        self.time_0 = torch.nn.Linear(time_dim, hidden)
        self.time_1 = torch.nn.Linear(hidden, hidden)
        self.label = torch.nn.Embedding(classes + 1, hidden)  # + the null class of guidance
        self.inp = torch.nn.Linear(pixels, hidden)
        self.layers = torch.nn.ModuleList(torch.nn.Linear(hidden, hidden) for _ in range(layers))
        self.layer_emb = torch.nn.ModuleList(torch.nn.Linear(hidden, hidden) for _ in range(layers))
        self.out = torch.nn.Linear(hidden, pixels)
        self.skip = torch.nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        half = self.time_dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half) / half)
        angles = t[:, None].float() * freqs[None]
        features = torch.cat([angles.sin(), angles.cos()], -1)  # [b, time_dim]
        emb = self.time_1(F.silu(self.time_0(features))) + self.label(c)  # [b, hidden]
        h = self.inp(x) + emb
        conditioned = F.silu(emb)
        for layer, layer_emb in zip(self.layers, self.layer_emb):
            h = h + layer(F.silu(h + layer_emb(conditioned)))
        return self.out(F.silu(h)) + self.skip(emb) * x


def main() -> None:
    args = ARGS
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    policy = MLPDenoiser(args.pixels, args.hidden, args.layers, args.time_dim, args.classes)
    reference = MLPDenoiser(args.pixels, args.hidden, args.layers, args.time_dim, args.classes)
    reference.load_state_dict(policy.state_dict())
    reference.requires_grad_(False)
    optimizer = torch.optim.AdamW(policy.parameters(), lr=1e-5, weight_decay=0.0)
    betas = torch.linspace(1e-4, 0.02, args.timesteps)
    alphas_cumprod = torch.cumprod(1 - betas, 0)
    n = args.pairs
    images = torch.rand(2 * n, args.pixels) * 2 - 1  # chosen rows, then rejected rows
    labels = torch.randint(0, args.classes, (n,)).repeat(2)
    timesteps = torch.randint(0, args.timesteps, (n,)).repeat(2)
    noise = torch.randn(n, args.pixels).repeat(2, 1)
    abar = alphas_cumprod[timesteps][:, None]
    noisy = abar.sqrt() * images + (1 - abar).sqrt() * noise

    def errors(model: MLPDenoiser) -> torch.Tensor:
        return ((model(noisy, timesteps, labels) - noise) ** 2).mean(-1)  # [2n]

    def step() -> float:
        policy_scores = -0.5 * errors(policy)
        with torch.no_grad():
            reference_scores = -0.5 * errors(reference)
        log_ratios = policy_scores - reference_scores
        loss = -F.logsigmoid(args.beta * (log_ratios[:n] - log_ratios[n:])).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        optimizer.step()
        return float(loss)

    for _ in range(args.warmup):
        step()
    seconds = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": "see dpo_step.py",
        "parameters": sum(p.numel() for p in policy.parameters()),
        "pairs": n,
        "stepSeconds": seconds,
        "medianSeconds": statistics.median(seconds),
    }))


if __name__ == "__main__":
    main()
