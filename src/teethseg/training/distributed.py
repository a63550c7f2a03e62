"""Training on several processes: PyTorch DistributedDataParallel under ``torchrun``.

``torchrun --nproc_per_node N -m teethseg train ...`` starts N copies of the command with
``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and the rendezvous address in their environment. Each
copy trains on its share of every global batch (``share``), DDP averages the
gradients, and only rank 0 writes the run. With one process every helper here is a no-op, so
``training/train.py`` has one loop for both.

Batch norm sees the whole global batch on every process: torch's ``SyncBatchNorm`` on CUDA, and
on CPUs (which it does not support) ``SyncedBatchNorm`` below, so N processes compute what one
process computes on the same global batch.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import threading
from collections.abc import Callable
from contextlib import nullcontext, redirect_stdout
from dataclasses import fields
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from teethseg.errors import TeethsegError, one_line
from teethseg.evaluation.metrics import BinaryMetrics, ToothMetrics

# How long a process waits in a collective for the others (a slow checkpoint write of rank 0 must
# fit in it); a process that died is noticed at once, as its connections close.
TIMEOUT = timedelta(minutes=10)
RESUME_HINT = "the last finished epoch's checkpoint is kept: run the same command with --resume to continue"

F = TypeVar("F", bound=Callable[..., Any])


class Stopped(BaseException):
    """SIGTERM from torchrun, which ends every process once one of them has failed."""


def _launched_world() -> tuple[int, int]:
    """(rank, world size) that torchrun gave this process; (0, 1) when it was started alone."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def world_size() -> int:
    """Processes training together (1 without torchrun)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def rank() -> int:
    """This process's number among them (0 without torchrun)."""
    return dist.get_rank() if dist.is_initialized() else 0


def is_main() -> bool:
    """Whether this process writes the run (checkpoints, history, model, report) and prints."""
    return rank() == 0


def session(function: F) -> F:
    """Run ``train`` as one of torchrun's processes: only rank 0 prints; a process that dies or is
    ended stops the others with one clear line instead of a hang or a traceback; the process
    group is left at the end."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        launched_rank, launched_world = _launched_world()
        if launched_world <= 1:
            return function(*args, **kwargs)
        who = f"training process {launched_rank} of {launched_world}"
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _stop) if in_main_thread else None
        try:
            with open(os.devnull, "w") as devnull, redirect_stdout(devnull) if launched_rank else nullcontext():
                return function(*args, **kwargs)
        except Stopped:
            raise TeethsegError(None, f"{who} stopped: another process of the run failed; {RESUME_HINT}") from None
        except RuntimeError as error:
            if not _is_collective_failure(error):
                raise
            reason = re.sub(r"^\[[^\]]*\]\s*", "", one_line(error, 160))  # gloo's source file and line
            raise TeethsegError(None, f"{who} lost contact with the others ({reason}): another "
                                      f"process of the run died or hangs; {RESUME_HINT}") from None
        finally:
            if in_main_thread:
                signal.signal(signal.SIGTERM, previous)
            if dist.is_initialized():
                dist.destroy_process_group()

    return run  # type: ignore[return-value]


def _stop(signum: int, frame: object) -> None:
    raise Stopped()


def _is_collective_failure(error: RuntimeError) -> bool:
    """A failed collective: torch's own type, or gloo's and NCCL's plain RuntimeErrors."""
    if isinstance(error, dist.DistError):
        return True
    text = str(error).lower()
    return dist.is_initialized() and any(word in text for word in ("gloo", "nccl", "connection", "timed out", "peer"))


def setup(device: torch.device) -> torch.device:
    """Join the processes torchrun started (NCCL on CUDA, gloo on CPU); the device this process uses.

    On CUDA each process takes the GPU of its ``LOCAL_RANK``. Without torchrun: ``device`` as is.
    """
    if _launched_world()[1] <= 1 or dist.is_initialized():
        return device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
        dist.init_process_group("nccl", timeout=TIMEOUT, device_id=device)
    else:
        dist.init_process_group("gloo", timeout=TIMEOUT)
    print(f"training on {world_size()} processes ({'NCCL' if device.type == 'cuda' else 'gloo'})", flush=True)
    return device


def per_process_batch(global_batch: int) -> int:
    """The recipe's batch size is the global batch: each of the processes takes its equal share."""
    processes = world_size()
    if global_batch % processes:
        raise TeethsegError(None, f"batch_size {global_batch} is the global batch and must split evenly over "
                                  f"the {processes} training processes")
    return global_batch // processes


def share(order: list[int]) -> list[int]:
    """This process's share of an epoch's sample order, every process given the same order: the
    n-th of each run of as many samples as processes (the tail that does not fill a run dropped),
    so the n-th batches of all processes together are the n-th global batch of one process."""
    processes = world_size()
    return order[rank() : len(order) // processes * processes : processes]


def wrap(network: nn.Module, device: torch.device) -> nn.Module:
    """The network to train: itself with one process; else with batch norm over the global batch,
    wrapped in DDP (which averages the gradients). ``network`` keeps the weights either way."""
    if world_size() == 1:
        return network
    if device.type == "cuda":
        converted = nn.SyncBatchNorm.convert_sync_batchnorm(network)
    else:
        converted = _synced_batch_norm(network)
    if converted is not network:
        raise TypeError("the network itself must not be a batch norm layer")
    return nn.parallel.DistributedDataParallel(network, device_ids=[device.index] if device.type == "cuda" else None)


class SyncedBatchNorm(nn.BatchNorm2d):
    """Batch norm with the statistics of the global batch, for CPU processes (gloo).

    The per-channel sums are all-reduced with autograd (``_SumOverProcesses``), so gradients flow
    through the shared statistics as in torch's CUDA-only ``SyncBatchNorm``. Mean, then variance
    around it (two passes, as precise as ``BatchNorm2d``). Outside training it is ``BatchNorm2d``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or not dist.is_initialized():
            return super().forward(x)
        dims = [0, 2, 3]
        count = torch.tensor(float(x.numel() // x.shape[1]), dtype=x.dtype)
        dist.all_reduce(count)
        mean = _SumOverProcesses.apply(x.sum(dims)) / count
        centred = x - mean[None, :, None, None]
        variance = _SumOverProcesses.apply((centred * centred).sum(dims)) / count
        if self.track_running_stats and self.running_mean is not None and self.running_var is not None:
            with torch.no_grad():
                self.num_batches_tracked += 1
                momentum = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1 - momentum).add_(momentum * mean.detach())
                unbiased = variance.detach() * count / max(float(count) - 1, 1.0)
                self.running_var.mul_(1 - momentum).add_(momentum * unbiased)
        out = centred * torch.rsqrt(variance + self.eps)[None, :, None, None]
        if self.affine:
            out = out * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        return out


class _SumOverProcesses(torch.autograd.Function):
    """The sum of a tensor over the processes; its gradient is the sum of theirs, as every
    process's loss depends on every process's share of the statistics."""

    @staticmethod
    def forward(ctx: Any, tensor: torch.Tensor) -> torch.Tensor:
        total = tensor.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        total = grad.clone()
        dist.all_reduce(total)
        return total


def _synced_batch_norm(module: nn.Module) -> nn.Module:
    """Replace every ``BatchNorm2d`` below ``module`` by a ``SyncedBatchNorm`` with its weights."""
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm2d:
            synced = SyncedBatchNorm(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
            synced.load_state_dict(child.state_dict())
            setattr(module, name, synced.to(next(child.parameters(), torch.empty(0)).device))
        else:
            _synced_batch_norm(child)
    return module


def shard(count: int) -> range:
    """This process's share of ``count`` items (validation images), every ``world_size()``-th."""
    return range(rank(), count, world_size())


def mean_over_processes(values: list[float]) -> float:
    """The mean of every process's values (the epoch's training loss), the same on each."""
    totals = torch.tensor([float(sum(values)), float(len(values))], dtype=torch.float64)
    if world_size() > 1:
        dist.all_reduce(totals)
    return float(totals[0] / totals[1]) if totals[1] else float("nan")


def merged(metrics: BinaryMetrics, teeth: ToothMetrics | None) -> tuple[BinaryMetrics, ToothMetrics | None]:
    """Every process's validation scores in one: per-image counts and Dice lists joined, tallies summed."""
    if world_size() == 1:
        return metrics, teeth
    parts: list[Any] = [None] * world_size()
    dist.all_gather_object(parts, (metrics, teeth))
    binary = BinaryMetrics()
    for part, _ in parts:
        binary.names += part.names
        binary.counts += part.counts
    if teeth is None:
        return binary, None
    whole = ToothMetrics(teeth.class_names)
    for _, part in parts:
        for c, values in part.scores.items():
            whole.scores[c] += values
        whole.image_means += part.image_means
        whole.count_exact += part.count_exact
        for tally in ("missing", "checks"):
            total, more = getattr(whole, tally), getattr(part, tally)
            for field in fields(total):
                setattr(total, field.name, getattr(total, field.name) + getattr(more, field.name))
    return binary, whole
