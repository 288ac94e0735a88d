#!/usr/bin/env python3
"""Times one DPO training step in PyTorch, for comparison with dpo-ts's throughput benchmark.

The same GPT-2-style model as @dpo-ts/lm (pre-LN blocks, tanh GELU, tied embeddings, learned
positions, bias everywhere) and the same step as lm's DPOTrainer with a frozen reference:
policy forward + backward over 2 * pairs sequences (chosen rows, then rejected rows), reference
forward without gradients, summed completion log-probs, the sigmoid DPO loss, global-norm
clipping at 1 and one AdamW update.

    python3 benchmarks/python/dpo_step.py --threads 1 --steps 5 --warmup 1

With `--task sft`, lm's SFTTrainer step instead: `--rows` sequences, mean next-token NLL over
every position, forward + backward, clipping, AdamW (no reference).

Prints one JSON object: the torch version, threads, every step's seconds and the median.
Nothing else is written. Exits 3 when torch is missing (the benchmark reports it as absent).
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
    parser.add_argument("--vocab", type=int, default=96)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--prompt-length", type=int, default=17, help="BOS + prompt tokens, not scored")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--beta", type=float, default=0.1)
    parser.add_argument("--task", choices=["dpo", "sft"], default="dpo")
    parser.add_argument("--rows", type=int, default=32, help="SFT: sequences per step")
    return parser.parse_args()


ARGS = parse_args()
# BLAS libraries read their thread counts when they load (with torch), so set them first:
# torch.set_num_threads alone leaves OpenBLAS's own pool at every core.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)

try:
    import torch
    import torch.nn.functional as F
except ImportError as error:  # reported by the caller as "PyTorch not available"
    print(json.dumps({"error": f"torch not importable: {error}"}))
    sys.exit(3)


class Block(torch.nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln_1 = torch.nn.LayerNorm(d, eps=1e-5)
        self.c_attn = torch.nn.Linear(d, 3 * d)
        self.c_proj = torch.nn.Linear(d, d)
        self.ln_2 = torch.nn.LayerNorm(d, eps=1e-5)
        self.c_fc = torch.nn.Linear(d, 4 * d)
        self.mlp_proj = torch.nn.Linear(4 * d, d)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=-1)
        # [B, T, d] -> [B, H, T, hd]
        q, k, v = (y.view(b, t, self.heads, hd).transpose(1, 2) for y in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd) + mask  # [B, H, T, T]
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.c_proj(attended)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(torch.nn.Module):
    def __init__(self, vocab: int, context: int, d: int, layers: int, heads: int):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, d)
        self.wpe = torch.nn.Embedding(context, d)
        self.blocks = torch.nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = torch.nn.LayerNorm(d, eps=1e-5)
        mask = torch.full((context, context), -1e9).triu(1)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        t = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(t))
        for block in self.blocks:
            x = block(x, self.mask[:t, :t])
        return self.ln_f(x) @ self.wte.weight.T  # tied head: [B, T, V]


def sequence_log_probs(model: GPT, ids: torch.Tensor, loss_mask: torch.Tensor) -> torch.Tensor:
    """Sum over masked positions of log p(x_t | x_<t): [B, T] -> [B]."""
    logits = model(ids[:, :-1])
    token_log_probs = logits.log_softmax(-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    return (token_log_probs * loss_mask[:, 1:]).sum(-1)


def loaded_blas() -> str:
    """The BLAS library this process loaded (Debian's torch uses whichever libblas.so.3 is installed)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(paths)) or "none found"
    except OSError:
        return "unknown"


def main() -> None:
    args = ARGS
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    policy = GPT(args.vocab, args.context, args.d_model, args.layers, args.heads)
    reference = GPT(args.vocab, args.context, args.d_model, args.layers, args.heads)
    reference.load_state_dict(policy.state_dict())
    reference.requires_grad_(False)
    optimizer = torch.optim.AdamW(policy.parameters(), lr=1e-4, weight_decay=0.0)
    rows = 2 * args.pairs  # chosen rows first, then rejected rows, as lm's preference batch
    ids = torch.randint(0, args.vocab, (rows, args.context))
    loss_mask = torch.zeros(rows, args.context)
    loss_mask[:, args.prompt_length:] = 1

    sft_ids = torch.randint(0, args.vocab, (args.rows, args.context))

    def sft_step() -> float:
        logits = policy(sft_ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, args.vocab), sft_ids[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        optimizer.step()
        return float(loss)

    def dpo_step() -> float:
        policy_scores = sequence_log_probs(policy, ids, loss_mask)
        with torch.no_grad():
            reference_scores = sequence_log_probs(reference, ids, loss_mask)
        log_ratios = policy_scores - reference_scores
        chosen, rejected = log_ratios[: args.pairs], log_ratios[args.pairs:]
        loss = -F.logsigmoid(args.beta * (chosen - rejected)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        optimizer.step()
        return float(loss)

    step = sft_step if args.task == "sft" else dpo_step
    for _ in range(args.warmup):
        step()
    seconds = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    print(json.dumps({
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "blas": loaded_blas(),
        "parameters": sum(p.numel() for p in policy.parameters()),
        "task": args.task,
        "pairs": args.pairs,
        "rows": args.rows,
        "context": args.context,
        "stepSeconds": seconds,
        "medianSeconds": statistics.median(seconds),
    }))


if __name__ == "__main__":
    main()
