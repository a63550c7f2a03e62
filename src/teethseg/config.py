"""Training recipes: what a YAML config may say, with defaults a careful user would pick.

The fields are plain dataclasses (``dataclasses.asdict`` works on them); their types and bounds
are checked with pydantic whenever values come from a file (a recipe, a model file's header,
``--epochs``), before any data is loaded, so a wrong value is one line naming the file and the
field. Values set in code are trusted as they are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, TypeAdapter, ValidationError

from teethseg.errors import TeethsegError
from teethseg.io.yaml_files import safe_load

# Bounds of the schema. A side of 16-4096 pixels: the networks downsample 4-5 times, and 4096 x
# 4096 is the working size of prediction (teethseg.io.limits.WORK_PIXELS); anything larger is a
# damaged header or a typo that would allocate tens of gigabytes.
MIN_SIDE, MAX_SIDE = 16, 4096
Side = Annotated[int, Field(ge=MIN_SIDE, le=MAX_SIDE)]
Share = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


@dataclass
class ModelConfig:
    """The network and the geometry it sees; stored in every model file."""

    architecture: Literal["monai-unet"] = "monai-unet"
    channels: Annotated[list[Annotated[int, Field(ge=1, le=4096)]], Field(min_length=2, max_length=10)] = field(
        default_factory=lambda: [16, 32, 64, 128, 256])
    strides: Annotated[list[Annotated[int, Field(ge=1, le=4)]], Field(max_length=9)] = field(
        default_factory=lambda: [2, 2, 2, 2])
    num_res_units: Annotated[int, Field(ge=0, le=16)] = 2
    # "batch" suits training on crops and predicting on whole images; "instance" is MONAI's default.
    norm: Literal["batch", "instance"] = "batch"
    dropout: Annotated[float, Field(ge=0, lt=1)] = 0.0
    num_classes: Annotated[int, Field(le=255)] = 2  # label maps are 8-bit
    # Every radiograph is resized to this (height, width) before the network, and back after.
    input_size: Annotated[list[Side], Field(min_length=2, max_length=2)] = field(default_factory=lambda: [512, 512])
    normalization: Literal["zscore", "unit"] = "zscore"
    class_names: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=255)] = field(
        default_factory=lambda: ["background", "tooth"])
    # > 0: a third class marks tooth pixels within this many pixels (at input size) of another
    # tooth, so that teeth which touch can be told apart (teethseg.teeth.split, teethseg.teeth.borders).
    contact_width: Annotated[int, Field(le=64)] = 0

    @property
    def numbered(self) -> bool:
        """Whether the classes are numbered teeth (not background / tooth / contact)."""
        return self.num_classes > 2 and not self.contact_width


@dataclass
class TrainConfig:
    """Everything ``teethseg train`` needs besides the data and output folders."""

    model: ModelConfig = field(default_factory=ModelConfig)
    epochs: Annotated[int, Field(ge=1, le=100_000)] = 40
    batch_size: Annotated[int, Field(ge=1, le=4096)] = 8
    # Train on random crops of the resized image (None: whole image); predict on whole images.
    crop_size: Side | None = 256
    samples_per_image: Annotated[int, Field(ge=1, le=1000)] = 1
    lr: Annotated[float, Field(ge=0, le=10)] = 3e-3  # 0 keeps the weights (a fine-tuning check)
    weight_decay: Annotated[float, Field(ge=0, le=10)] = 1e-4
    warmup_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.05
    amp: bool = True
    seed: Annotated[int, Field(ge=0, lt=2**32)] = 0
    val_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.15
    num_workers: Annotated[int, Field(ge=0, le=256)] = 0
    augment: bool = True
    # Zoom range of the augmentation (width and height drawn apart); below 1 shows the teeth
    # smaller, as machines with a wider field of view do.
    scale: list[Annotated[float, Field(allow_inf_nan=False)]] = field(default_factory=lambda: [0.8, 1.2])
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
    close_up_area: list[Annotated[float, Field(allow_inf_nan=False)]] = field(default_factory=lambda: [0.06, 0.4])
    grid_images: Annotated[int, Field(ge=0, le=100)] = 6
    # Start from this teethseg model file's weights (fine-tuning) instead of random ones.
    init: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def _schema(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


def validated(cls: type, values: Any, source: str | Path | None, prefix: str = "") -> Any:
    """``cls`` built from plain values checked against its schema: one line naming the field when one is wrong."""
    if not isinstance(values, dict):
        raise TeethsegError(source, "config must be a mapping of keys to values")
    unknown = sorted(set(values) - {f.name for f in fields(cls)})
    if unknown:
        raise TeethsegError(source, f"unknown config keys: {', '.join(prefix + str(name) for name in unknown)}")
    try:
        return _schema(cls).validate_python(values)
    except ValidationError as error:
        first = error.errors()[0]
        where = prefix + ".".join(str(part) for part in first["loc"])
        given = repr(first.get("input"))
        given = given if len(given) <= 40 else given[:37] + "..."
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise TeethsegError(source, f"{where}: {first['msg']} (got {given}){more}") from None


def check_model_config(model: ModelConfig, source: str | Path | None) -> None:
    """Checks across the fields of a ModelConfig, for recipes and model files alike."""
    if model.num_classes < 2:
        raise TeethsegError(source, "model.num_classes must be at least 2 (background + tooth)")
    if model.contact_width < 0:
        raise TeethsegError(source, "model.contact_width must be 0 (no contact class) or a width in pixels")
    if model.contact_width and model.num_classes != 3:
        raise TeethsegError(source, "model.contact_width needs model.num_classes: 3 (background, tooth, contact)")
    if len(model.strides) != len(model.channels) - 1:
        raise TeethsegError(source, "model.strides needs one entry fewer than model.channels")


def config_from_dict(values: dict[str, Any], source: str = "config") -> TrainConfig:
    """Build a :class:`TrainConfig` from nested plain values, refusing unknown keys and values out of bounds."""
    values = dict(values or {})
    model = validated(ModelConfig, values.pop("model", None) or {}, source, "model.")
    config = validated(TrainConfig, values, source)
    config.model = model
    check_model_config(model, source)
    if config.crop_size is not None and config.crop_size > min(model.input_size):
        raise TeethsegError(source, f"crop_size {config.crop_size} must fit in model.input_size {model.input_size}")
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
    return config


def load_config(path: str | Path | None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML recipe (``None`` gives the defaults), with command-line ``overrides`` (None values
    ignored) checked against the schema as the recipe's own values are."""
    values: Any = {}
    if path is not None:
        path = Path(path)
        try:
            values = safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise TeethsegError(path, "config file not found") from None
        except (OSError, UnicodeDecodeError) as error:
            raise TeethsegError(path, f"cannot read config ({error})") from None
        except yaml.YAMLError as error:
            raise TeethsegError(path, f"not valid YAML ({str(error).splitlines()[0]})") from None
        if not isinstance(values, dict):
            raise TeethsegError(path, "config must be a mapping of keys to values")
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    source = str(path or "default config")
    if given:
        source += " with " + " ".join(f"--{key.replace('_', '-')} {value}" for key, value in given.items())
    return config_from_dict({**values, **given}, source)


def save_config(config: TrainConfig, path: str | Path) -> None:
    """Write the resolved recipe next to a run so it can be repeated."""
    from teethseg.io.files import atomic_path

    with atomic_path(path) as temporary:
        temporary.write_text(yaml.safe_dump(config.to_dict(), sort_keys=False), encoding="utf-8")
