#!/usr/bin/env python3
"""PyTorch reference of `igo bench train`: the same training step, timed the same way.

Modes (one JSON object on stdout):

  train (default)  W warm-up steps, then S timed steps of: forward in train mode,
                   mean cross-entropy, backward, torch.optim.SGD(lr, momentum=0.9,
                   weight_decay) update. Input: a fixed random batch of B images
                   3x32x32 (standard normal) with uniform labels in 0..9.
                   images_per_s = median over the S steps of B / (step seconds).
  --hvp            one exact Hessian-vector product of the mean cross-entropy of the
                   batch (batch norm in eval mode, as igo's `BatchNormMode::Eval`):
                   g = autograd.grad(L, w, create_graph=True), Hv = autograd.grad(<g, v>, w),
                   v fixed; `seconds` = median over --calls calls after one warm-up call.
  --gradient       the same with only g = autograd.grad(L, w) (what the HVP is compared to).

Memory (hvp and gradient modes), as igo's `experiments::bench::PeakMemory`:
peak_rss_bytes is this process's peak resident memory (VmHWM; getrusage ru_maxrss where
/proc is missing), so run each mode in a fresh process; baseline_rss_bytes is the
resident memory when the calls begin (torch imported, model and batch built) and
work_peak_rss_bytes the peak during the calls (the peak is reset first through
/proc/self/clear_refs): work_peak - baseline is what the calls added.

Models are igo's names (bench/torch_models.py). `parameters` is reported so that the
caller can check it builds the same model.

  bench/.venv/bin/python bench/train_step.py --model resnet18 --batch 32 --threads 2
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from torch_models import build, parameter_count  # noqa: E402


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def nonnegative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def arguments():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="igo architecture name (resnet18, resnet18-w16, resnet8-w16, ...)")
    p.add_argument("--batch", type=positive, required=True)
    p.add_argument("--steps", type=positive, default=5, help="timed steps (train mode)")
    p.add_argument("--warmup", type=nonnegative, default=2, help="untimed steps first")
    p.add_argument("--threads", type=positive, default=None, help="torch.set_num_threads (default: torch's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--hvp", action="store_true", help="time one exact Hessian-vector product")
    mode.add_argument("--gradient", action="store_true", help="time one gradient (HVP reference)")
    p.add_argument("--calls", type=positive, default=3, help="timed calls (--hvp, --gradient)")
    return p.parse_args()


def status_bytes(key):
    """A kB line of /proc/self/status in bytes (None where there is none)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def peak_rss_bytes():
    """VmHWM, or getrusage's ru_maxrss (KiB on Linux) where /proc is missing."""
    peak = status_bytes("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak_rss():
    """Resets the peak to the current resident memory (Linux /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_memory_of(work):
    """(work(), memory): the process's peak, the resident memory when work began and the
    peak while it ran (None if the peak could not be reset), as igo's `PeakMemory`."""
    setup_peak = peak_rss_bytes()
    reset = reset_peak_rss()
    baseline = status_bytes("VmRSS")
    value = work()
    after = peak_rss_bytes()
    return value, {
        "peak_rss_bytes": max(setup_peak, after),
        "baseline_rss_bytes": baseline,
        "work_peak_rss_bytes": after if reset else None,
    }


def batch_of(args):
    x = torch.randn(args.batch, 3, 32, 32)
    y = torch.randint(0, 10, (args.batch,))
    return x, y


def train(args, model, x, y):
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                          weight_decay=args.weight_decay)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    seconds = []
    loss = float("nan")
    for _ in range(args.steps):
        t = time.perf_counter()
        loss = step()
        seconds.append(time.perf_counter() - t)
    return {
        "mode": "train",
        "steps": args.steps,
        "warmup": args.warmup,
        "step_seconds": seconds,
        "images_per_s": statistics.median(args.batch / s for s in seconds),
        "final_loss": loss,
    }


def second_order(args, model, x, y):
    model.eval()
    params = [p for p in model.parameters() if p.requires_grad]
    g = torch.Generator().manual_seed(args.seed + 1)
    v = [torch.randn(p.shape, generator=g) for p in params]

    def call():
        loss = F.cross_entropy(model(x), y)
        if args.gradient:
            return torch.autograd.grad(loss, params)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        dot = sum((gi * vi).sum() for gi, vi in zip(grads, v))
        return torch.autograd.grad(dot, params)

    def calls():
        call()
        seconds = []
        for _ in range(args.calls):
            t = time.perf_counter()
            out = call()
            seconds.append(time.perf_counter() - t)
            del out
        return seconds

    seconds, memory = peak_memory_of(calls)
    return {
        "mode": "gradient" if args.gradient else "hvp",
        "calls": args.calls,
        "call_seconds": seconds,
        "seconds": statistics.median(seconds),
        **memory,
    }


def main():
    args = arguments()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    try:
        model = build(args.model).float()
    except ValueError as e:
        print(f"error: --model: {e}", file=sys.stderr)
        sys.exit(2)
    x, y = batch_of(args)
    if args.hvp or args.gradient:
        result = second_order(args, model, x, y)
    else:
        result = train(args, model, x, y)
    result.update({
        "model": args.model,
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "parameters": parameter_count(model),
        "seed": args.seed,
        "torch": torch.__version__,
    })
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
