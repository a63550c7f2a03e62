"""Training recipes: what a YAML config may say, with defaults a careful user would pick."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from teethseg.errors import TeethsegError
from teethseg.io.yaml_files import safe_load


@dataclass
class ModelConfig:
    """The network and the geometry it sees; stored in every model file."""

    architecture: str = "monai-unet"
    channels: list[int] = field(default_factory=lambda: [16, 32, 64, 128, 256])
    strides: list[int] = field(default_factory=lambda: [2, 2, 2, 2])
    num_res_units: int = 2
    # "batch" suits training on crops and predicting on whole images; "instance" is MONAI's default.
    norm: str = "batch"
    dropout: float = 0.0
    num_classes: int = 2
    # Every radiograph is resized to this (height, width) before the network, and back after.
    input_size: list[int] = field(default_factory=lambda: [512, 512])
    normalization: str = "zscore"
    class_names: list[str] = field(default_factory=lambda: ["background", "tooth"])
    # > 0: a third class marks tooth pixels within this many pixels (at input size) of another
    # tooth, so that teeth which touch can be told apart (teethseg.teeth.split, teethseg.teeth.borders).
    contact_width: int = 0

    @property
    def numbered(self) -> bool:
        """Whether the classes are numbered teeth (not background / tooth / contact)."""
        return self.num_classes > 2 and not self.contact_width


@dataclass
class TrainConfig:
    """Everything ``teethseg train`` needs besides the data and output folders."""

    model: ModelConfig = field(default_factory=ModelConfig)
    epochs: int = 40
    batch_size: int = 8
    # Train on random crops of the resized image (None: whole image); predict on whole images.
    crop_size: int | None = 256
    samples_per_image: int = 1
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup_fraction: float = 0.05
    amp: bool = True
    seed: int = 0
    val_fraction: float = 0.15
    num_workers: int = 0
    augment: bool = True
    # Zoom range of the augmentation (width and height drawn apart); below 1 shows the teeth
    # smaller, as machines with a wider field of view do.
    scale: list[float] = field(default_factory=lambda: [0.8, 1.2])
    hflip: bool = True
    # Numbered models: the share of training samples that lose one or two teeth (filled from the
    # tissue around them), so that the network learns to count across gaps (teethseg.data.missing_teeth).
    remove_teeth: float = 0.0
    # Of those, the share whose teeth behind a removed one drift toward its gap, as after an
    # extraction (teethseg.data.missing_teeth.close_gap): numbers then skip where no gap shows.
    close_gaps: float = 0.0
    # The share of training samples shown as a close view (a random window stretched to the input
    # size, teethseg.data.transforms), so that periapical and bitewing views are segmented too.
    close_up: float = 0.0
    # The share of the image's area a close view keeps, [smallest, largest]: smaller shows teeth bigger.
    close_up_area: list[float] = field(default_factory=lambda: [0.06, 0.4])
    grid_images: int = 6
    # Start from this teethseg model file's weights (fine-tuning) instead of random ones.
    init: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _build(cls: type, values: dict[str, Any], source: str) -> Any:
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise TeethsegError(source, f"unknown config keys: {', '.join(unknown)}")
    return cls(**values)


def config_from_dict(values: dict[str, Any], source: str = "config") -> TrainConfig:
    """Build a :class:`TrainConfig` from nested plain values, refusing unknown keys."""
    values = dict(values or {})
    model = _build(ModelConfig, dict(values.pop("model", {}) or {}), source)
    config = _build(TrainConfig, values, source)
    config.model = model
    if config.model.num_classes < 2:
        raise TeethsegError(source, "model.num_classes must be at least 2 (background + tooth)")
    if config.model.contact_width < 0:
        raise TeethsegError(source, "model.contact_width must be 0 (no contact class) or a width in pixels")
    if config.model.contact_width and config.model.num_classes != 3:
        raise TeethsegError(source, "model.contact_width needs model.num_classes: 3 (background, tooth, contact)")
    if len(config.scale) != 2 or not 0 < config.scale[0] <= config.scale[1]:
        raise TeethsegError(source, "scale must be [smallest, largest] zoom, both above 0")
    if len(config.close_up_area) != 2 or not 0 < config.close_up_area[0] <= config.close_up_area[1] <= 1:
        raise TeethsegError(source, "close_up_area must be [smallest, largest] share of the image's area, above 0 and at most 1")
    for share in ("remove_teeth", "close_gaps", "close_up"):
        if not 0 <= getattr(config, share) <= 1:
            raise TeethsegError(source, f"{share} must be a share of the training samples, from 0 to 1")
    if config.remove_teeth and not config.model.numbered:
        raise TeethsegError(source, "remove_teeth needs a numbered model (model.num_classes above 2, no contact_width)")
    if config.close_gaps and not config.remove_teeth:
        raise TeethsegError(source, "close_gaps needs remove_teeth: only a removed tooth leaves a gap to close")
    if len(config.model.strides) != len(config.model.channels) - 1:
        raise TeethsegError(source, "model.strides needs one entry fewer than model.channels")
    return config


def load_config(path: str | Path | None) -> TrainConfig:
    """Read a YAML recipe; ``None`` gives the defaults."""
    if path is None:
        return TrainConfig()
    path = Path(path)
    try:
        values = safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise TeethsegError(path, "config file not found") from None
    except yaml.YAMLError as error:
        raise TeethsegError(path, f"not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(values, dict):
        raise TeethsegError(path, "config must be a mapping of keys to values")
    return config_from_dict(values, str(path))


def save_config(config: TrainConfig, path: str | Path) -> None:
    """Write the resolved recipe next to a run so it can be repeated."""
    from teethseg.io.files import atomic_path

    with atomic_path(path) as temporary:
        temporary.write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))
