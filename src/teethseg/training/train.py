"""The training loop: read top to bottom, it is the whole recipe.

``RUN/`` receives ``last.pt`` (checkpoint for ``--resume``), ``model.safetensors`` (best
validation Dice, in the model format) and at the end its ONNX twin ``model.onnx``, ``config.yaml``,
``history.csv`` and ``curves.png``.

The checkpoint is written after every epoch, every ``checkpoint_minutes`` within one, and when
training is interrupted (Ctrl-C), so an interrupt loses little; ``--resume`` continues from it
where it stopped, mid-epoch included. ``--resume --epochs N`` on a run of fewer epochs trains on
to N epochs with a new one-cycle schedule from the last state.

Under ``torchrun`` the same loop runs in every process; the lines marked ``# DDP`` call
``training/distributed.py``, whose helpers do nothing when there is one process.
"""

from __future__ import annotations

import csv
import math
import shlex
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.losses import DiceCELoss
from torch.utils.data import DataLoader
from tqdm import tqdm

from teethseg.config import TrainConfig, load_config, save_config
from teethseg.data.dataset import SegmentationDataset, load_samples
from teethseg.data.layouts import index_dataset
from teethseg.errors import TeethsegError, one_line
from teethseg.evaluation.metrics import BinaryMetrics, ToothMetrics
from teethseg.io.files import atomic_path
from teethseg.nn.bundled import default_model_path
from teethseg.nn.device import choose_device
from teethseg.nn.network import build_network, load_network, save_model
from teethseg.teeth.postprocess import labels_at_size
from teethseg.teeth.split import typical_tooth_fractions
from teethseg.training import distributed
from teethseg.training.curves import plot_history
from teethseg.training.recipe import default_recipe, without_contacts
from teethseg.version import __version__

# Minutes between checkpoints within an epoch (besides one after every epoch and one on an interrupt).
CHECKPOINT_MINUTES = 5.0


def _autocast(device: torch.device, enabled: bool):
    """bfloat16 autocast on CPU (and on GPUs that have it), float16 on older GPUs."""
    if not enabled:
        return nullcontext()
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return torch.autocast("cpu", dtype=torch.bfloat16)


def _checkpoint(path: Path) -> dict[str, Any]:
    """A run's last checkpoint, loaded without pickle's code execution; one line when it is damaged."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - torch raises many types for an empty or corrupt file
        raise TeethsegError(path, f"not a readable checkpoint (empty, truncated or not saved by teethseg: "
                                  f"{type(error).__name__}); delete it to start the run afresh") from None
    missing = [key for key in ("network", "optimizer", "scheduler", "epoch", "best_dice", "history")
               if not isinstance(state, dict) or key not in state]
    if missing:
        raise TeethsegError(path, f"damaged checkpoint, cannot resume (no {', '.join(missing)})")
    return state


@contextmanager
def _interrupt_between_steps() -> Iterator[list[bool]]:
    """Hold a Ctrl-C until the training step under way ends (``raise_if_asked``), so the checkpoint then
    saved is a whole step's state; a second Ctrl-C stops at once. Only where signals can be caught."""
    asked = [False]
    if threading.current_thread() is not threading.main_thread():
        yield asked
        return

    def ask(signum, frame):  # noqa: ARG001 - the signal handler's signature
        if asked[0]:
            raise KeyboardInterrupt
        asked[0] = True

    previous = signal.signal(signal.SIGINT, ask)
    try:
        yield asked
    finally:
        signal.signal(signal.SIGINT, previous)


def _raise_if_asked(asked: list[bool]) -> None:
    if asked[0]:
        raise KeyboardInterrupt


def _class_names(config: TrainConfig, found: list[str] | None) -> list[str]:
    if config.model.contact_width:
        return ["background", "tooth", "contact"]
    if config.model.num_classes == 2:
        return ["background", "tooth"]
    if found and len(found) >= config.model.num_classes:
        return list(found[: config.model.num_classes])
    return ["background"] + [str(i) for i in range(1, config.model.num_classes)]


@torch.no_grad()
def validate(network: torch.nn.Module, dataset: SegmentationDataset, device: torch.device, amp: bool) -> dict[str, float]:
    """Binary teeth scores (and mean per-tooth Dice for numbered models) at the model geometry."""
    network.eval()
    metrics = BinaryMetrics()
    teeth = ToothMetrics(dataset.model.class_names) if dataset.model.numbered else None
    for i in distributed.shard(len(dataset)):  # DDP: this process's share of the images
        image, mask = dataset[i]
        with _autocast(device, amp):
            logits = network(image[None].to(device))
        probabilities = torch.softmax(logits.float(), dim=1)[0].cpu().numpy()
        prediction, _ = labels_at_size(probabilities, probabilities.shape[1:], dataset.model.numbered)
        metrics.update(prediction > 0, mask.numpy() > 0)
        if teeth is not None:
            teeth.update(prediction, mask.numpy())
    metrics, teeth = distributed.merged(metrics, teeth)  # DDP: every process's images
    scores = dict(metrics.summary()["mean_over_images"])
    if teeth is not None:
        scores["tooth_dice"] = teeth.summary()["mean_tooth_dice"]
    return scores


def _write_history(history: list[dict[str, Any]], run: Path) -> None:
    with atomic_path(run / "history.csv") as temporary:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(history[0]))
            writer.writeheader()
            writer.writerows(history)
    plot_history(history, run / "curves.png")


def _initial_weights(config: TrainConfig) -> dict[str, torch.Tensor]:
    """Fine-tuning: the weights of ``config.init`` whose names and shapes fit the recipe's network.

    The network's body (width, depth, norm) must match; the output layers may not (another
    number of classes), and those start afresh. The input size may differ too (the
    network is fully convolutional), so a model trained at 256x256 can be refined at 512x512.
    """
    if config.init == "default":  # the bundled mask network
        config.init = str(default_model_path())
    source, source_config, _ = load_network(config.init)
    body = ("architecture", "channels", "strides", "num_res_units", "norm")
    different = [k for k in body if getattr(source_config, k) != getattr(config.model, k)]
    if different:
        raise TeethsegError(config.init, f"cannot fine-tune from this model: its {', '.join(different)} differ from the recipe's")
    wanted = build_network(config.model).state_dict()
    fitting = {k: v for k, v in source.state_dict().items() if k in wanted and wanted[k].shape == v.shape}
    fresh = len(wanted) - len(fitting)
    print(f"starting from {config.init}: {len(fitting)} of {len(wanted)} tensors copied"
          + (f", {fresh} (output layers) start afresh" if fresh else ""))
    return fitting


@distributed.session  # DDP: one of torchrun's processes, or alone
def train(
    data: str | Path,
    out: str | Path,
    config_path: str | Path | None = None,
    resume: bool = False,
    seed: int | None = None,
    device: str = "auto",
    epochs: int | None = None,
    progress: bool = True,
    init: str | Path | None = None,
    report: bool = True,
    batch_size: int | None = None,
    lr: float | None = None,
    checkpoint_minutes: float = CHECKPOINT_MINUTES,
) -> Path:
    """Train a model on ``data``; return the path of the best model file.

    Without ``config_path`` the recipe is the bundled mask network's (``teethseg.training.recipe``).
    ``epochs``, ``batch_size`` and ``lr`` override the recipe's. With ``resume``, a larger
    ``epochs`` than the run's trains on with a new schedule. ``checkpoint_minutes``: time between
    checkpoints within an epoch (0: after every step). With ``report``, the best model is then
    evaluated on the validation images and ``RUN/report.html`` written (``teethseg.evaluation.run_report``).
    """
    run = Path(out)
    checkpoint_path = run / "last.pt"
    state = None
    extend = False
    if resume:
        if not checkpoint_path.is_file():
            raise TeethsegError(checkpoint_path, "no checkpoint to resume from")
        config = load_config(run / "config.yaml")
        for name, value in (("--batch-size", batch_size), ("--lr", lr)):
            if value is not None and value != getattr(config, name[2:].replace("-", "_")):
                raise TeethsegError(run, f"{name} cannot change on --resume (the run's is "
                                         f"{getattr(config, name[2:].replace('-', '_'))})")
        state = _checkpoint(checkpoint_path)  # read before any data, so a damaged one costs nothing
        done = int(state["epoch"])
        if epochs is not None and epochs != config.epochs:
            if epochs <= done:
                raise TeethsegError(run, f"--epochs {epochs} on --resume must be more than the {done} epochs done")
            config.epochs = epochs
            extend = True
        elif done >= config.epochs:
            print(f"{run} has finished all {config.epochs} epochs; nothing to resume. To train on, give more "
                  f"epochs: --resume --epochs {config.epochs + max(1, config.epochs // 2)}")
            return run / "model.safetensors"
    else:
        if checkpoint_path.exists():
            raise TeethsegError(run, "already holds a run; use --resume to continue it or choose another --out")
        overrides = {"seed": seed, "epochs": epochs, "init": None if init is None else str(init),
                     "batch_size": batch_size, "lr": lr}
        # checked against the recipe schema, as the recipe's own values are
        config = load_config(config_path, overrides) if config_path is not None else default_recipe(overrides)
    torch_device = distributed.setup(choose_device(device))  # DDP: join torchrun's processes
    progress = progress and distributed.is_main()  # DDP
    torch.manual_seed(config.seed)
    initial_weights = _initial_weights(config) if config.init and not resume else None

    index = index_dataset(data)
    config.model.class_names = _class_names(config, index.class_names)
    train_samples, val_samples = index.split(config.seed, config.val_fraction)
    _, train_images, train_masks, problems = load_samples(index, train_samples, config.model, progress, "train images")
    _, val_images, val_masks, val_problems = load_samples(index, val_samples, config.model, progress, "val images")
    for problem in problems + val_problems:
        print(f"skipped {problem}")
    if not train_images or not val_images:
        raise TeethsegError(data, "no readable training or validation images left")
    if config.model.contact_width and not any((mask == 2).any() for mask in train_masks) and config_path is None \
            and not resume:
        config = without_contacts(config)
        config.model.class_names = _class_names(config, index.class_names)
        train_masks, val_masks = ([(mask > 0).astype(mask.dtype) for mask in masks] for masks in (train_masks, val_masks))
        print("no two teeth touch in these masks (one value for all teeth?), so no contacts can be learnt: training "
              "the default recipe without its contact class, a binary teeth mask")
    if config.model.contact_width and not any((mask == 2).any() for mask in train_masks):
        raise TeethsegError(data, "model.contact_width needs a mask value per tooth: no two teeth touch in these masks")
    if distributed.is_main():  # DDP: rank 0 alone writes the run
        run.mkdir(parents=True, exist_ok=True)
        save_config(config, run / "config.yaml")

    train_set = SegmentationDataset(
        train_images, train_masks, config.model, augment=config.augment, hflip=config.hflip,
        crop_size=config.crop_size, samples_per_image=config.samples_per_image, seed=config.seed,
        scale=tuple(config.scale), remove_teeth=config.remove_teeth, close_gaps=config.close_gaps,
        close_up=config.close_up, close_up_area=tuple(config.close_up_area),
    )
    val_set = SegmentationDataset(val_images, val_masks, config.model)
    batch_size = min(config.batch_size, len(train_set))
    steps_per_epoch = len(train_set) // batch_size

    network = build_network(config.model)
    if initial_weights is not None:
        network.load_state_dict(initial_weights, strict=False)
    network = network.to(torch_device)
    trained = distributed.wrap(network, torch_device)  # DDP: DDP and synced batch norm (itself alone)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=config.epochs * steps_per_epoch, pct_start=config.warmup_fraction
    )
    loss_function = DiceCELoss(to_onehot_y=True, softmax=True)
    amp = config.amp and (torch_device.type == "cuda" or torch.backends.cpu.get_cpu_capability() in ("AVX512", "AMX"))
    scaler = torch.amp.GradScaler(enabled=amp and torch_device.type == "cuda" and not torch.cuda.is_bf16_supported())

    start_epoch, start_step, best_dice, history, partial_losses = 0, 0, -1.0, [], []
    if state is not None:
        try:
            network.load_state_dict(state["network"])
            optimizer.load_state_dict(state["optimizer"])
            start_epoch, best_dice, history = int(state["epoch"]), float(state["best_dice"]), list(state["history"])
            start_step, partial_losses = int(state.get("step", 0)), list(state.get("losses", []))
        except (KeyError, TypeError, ValueError, RuntimeError) as error:
            raise TeethsegError(checkpoint_path, f"checkpoint does not fit this run ({one_line(error)})") from None
        where = f"epoch {start_epoch + 1}, step {start_step}/{steps_per_epoch}" if start_step else f"epoch {start_epoch}"
        if extend:  # a new one-cycle schedule over the epochs still to train, from the last state
            remaining = (config.epochs - start_epoch) * steps_per_epoch - start_step
            scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=config.lr, total_steps=remaining, pct_start=config.warmup_fraction)
            if distributed.is_main():  # DDP
                save_config(config, run / "config.yaml")
            print(f"extending {run} to {config.epochs} epochs after {where}: a new learning-rate schedule over the "
                  f"remaining {remaining} steps, from the last state (best val Dice so far {best_dice:.4f})")
        else:
            scheduler.load_state_dict(state["scheduler"])
            print(f"resuming {run} after {where}/{config.epochs} (best val Dice {best_dice:.4f})")
    command = f"teethseg train --data {shlex.quote(str(data))} --out {shlex.quote(str(run))} --resume"

    def checkpoint(epoch: int, step: int, losses: list[float]) -> None:
        """Everything ``--resume`` needs: ``epoch`` epochs done and ``step`` batches of the next (rank 0 writes)."""
        if not distributed.is_main():  # DDP
            return
        state = {"network": network.state_dict(), "optimizer": optimizer.state_dict(),
                 "scheduler": scheduler.state_dict(), "epoch": epoch, "step": step, "losses": losses,
                 "best_dice": best_dice, "history": history}
        with atomic_path(checkpoint_path) as temporary:
            torch.save(state, temporary)

    epoch, step, losses = start_epoch, start_step, partial_losses
    with _interrupt_between_steps() as asked:
        try:
            for epoch in range(start_epoch, config.epochs):
                network.train()
                train_set.set_epoch(epoch)
                order = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
                # The shuffle a DataLoader's shuffle=True makes with this generator, so a run resumed within an
                # epoch goes on with the same batches.
                # DDP: this process's share of the epoch's order (all of it when alone)
                indices = distributed.share(torch.randperm(len(train_set), generator=order).tolist())
                skip = start_step if epoch == start_epoch else 0
                local_batch = distributed.per_process_batch(batch_size)  # DDP: the recipe's batch is the global one
                loader = DataLoader(train_set, batch_size=local_batch, sampler=indices[skip * local_batch :],
                                    drop_last=True, num_workers=config.num_workers)
                started, last_save = time.time(), time.monotonic()
                step, losses = skip, partial_losses if skip else []
                bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", disable=None if progress else True,
                           leave=False, initial=skip, total=steps_per_epoch)
                for images, masks in bar:
                    images, masks = images.to(torch_device), masks.to(torch_device)
                    with _autocast(torch_device, amp):
                        logits = trained(images)
                    loss = loss_function(logits.float(), masks[:, None])
                    optimizer.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                    scheduler.step()
                    losses.append(loss.item())
                    step += 1
                    bar.set_postfix(loss=f"{np.mean(losses):.4f}")
                    _raise_if_asked(asked)
                    if step < steps_per_epoch and time.monotonic() - last_save >= 60 * checkpoint_minutes:
                        checkpoint(epoch, step, losses)
                        last_save = time.monotonic()
                train_loss = distributed.mean_over_processes(losses)  # DDP: the global batch's loss
                if not math.isfinite(train_loss):
                    raise TeethsegError(run, f"training diverged in epoch {epoch + 1} (loss {train_loss if losses else 'none'})")
                scores = validate(network, val_set, torch_device, amp)
                row = {"epoch": epoch + 1, "train_loss": round(train_loss, 5), "val_dice": round(scores["dice"], 5),
                       "val_accuracy": round(scores["accuracy"], 5), "lr": scheduler.get_last_lr()[0], "seconds": round(time.time() - started, 1)}
                if "tooth_dice" in scores:
                    row["val_tooth_dice"] = round(scores["tooth_dice"], 5)
                history.append(row)
                if distributed.is_main():  # DDP
                    _write_history(history, run)
                # Numbered models are chosen by mean per-tooth Dice, binary ones by teeth Dice.
                selection = scores.get("tooth_dice", scores["dice"])
                if selection > best_dice:
                    best_dice = selection
                    info = {"name": run.name, "teethseg_version": __version__, "epoch": epoch + 1, "val_dice": scores["dice"],
                            "val_accuracy": scores["accuracy"], "data": str(Path(data).resolve().name),
                            "train_images": len(train_images), "val_images": len(val_images), "seed": config.seed,
                            "init": Path(config.init).name if config.init else None}
                    if config.model.numbered:  # lets a contact model join teeth split between two numbers
                        info["typical_tooth_fractions"] = typical_tooth_fractions(train_masks, config.model.num_classes)
                    if distributed.is_main():  # DDP
                        save_model(run / "model.safetensors", network, config.model, info)
                epoch, step, losses = epoch + 1, 0, []
                checkpoint(epoch, 0, [])
                tooth = f"  val tooth Dice {row['val_tooth_dice']:.4f}" if "val_tooth_dice" in row else ""
                print(f"epoch {epoch}/{config.epochs}  loss {row['train_loss']:.4f}  val Dice {row['val_dice']:.4f}  "
                      f"val accuracy {row['val_accuracy']:.4f}{tooth}  ({row['seconds']:.0f}s)", flush=True)
                _raise_if_asked(asked)
        except KeyboardInterrupt:
            if epoch < config.epochs and (step or epoch > start_epoch or state is not None):
                checkpoint(epoch, step, losses)
                print(f"interrupted in epoch {epoch + 1}/{config.epochs} after step {step}/{steps_per_epoch}; "
                      f"saved {checkpoint_path}. Continue with: {command}", flush=True)
            else:
                print("interrupted before the first training step; nothing to resume: start again without --resume",
                      flush=True)
            raise
    if distributed.is_main() and (run / "model.safetensors").is_file():  # its ONNX twin: on a CPU the model then runs on ONNX Runtime, 2-3x faster
        from teethseg.nn.export import export_onnx  # than on PyTorch (benchmarks/user_model_speed.py)

        export_onnx(run / "model.safetensors", run / "model.onnx")
    print(f"best val {'tooth ' if config.model.numbered else ''}Dice {best_dice:.4f}; model: {run / 'model.safetensors'}")
    if report and distributed.is_main():  # DDP: rank 0 alone
        from teethseg.evaluation.run_report import write_run_report

        write_run_report(run, data, val_samples, history, device, progress)
    return run / "model.safetensors"

