"""The recipe ``teethseg train`` uses without ``--config``: the bundled mask network's own.

It is ``configs/contacts.yaml`` (tests check that the two agree): whole 512 x 512 radiographs,
96 epochs, and a third class marking where teeth touch, which needs a mask value per tooth. On
masks with one value for all teeth, training drops the contact class (``without_contacts``) and
says so. The whole bundled model (mask, two numbering networks, close-up) is four recipes:
``tools/reproduce_default_model.py`` trains them all and bundles the result.
"""

from __future__ import annotations

from typing import Any

from teethseg.config import TrainConfig, config_from_dict

MASK_NETWORK_RECIPE = {
    "model": {"architecture": "monai-unet", "channels": [16, 32, 64, 128, 256], "strides": [2, 2, 2, 2],
              "num_res_units": 2, "norm": "batch", "num_classes": 3, "contact_width": 2,
              "input_size": [512, 512], "normalization": "zscore"},
    "epochs": 96, "batch_size": 8, "crop_size": None, "samples_per_image": 1, "lr": 0.003, "weight_decay": 0.0001,
    "warmup_fraction": 0.05, "amp": True, "seed": 0, "augment": True, "scale": [0.8, 1.2], "hflip": True,
}


def default_recipe(overrides: dict[str, Any] | None = None) -> TrainConfig:
    """The bundled mask network's recipe (``configs/contacts.yaml``), a fresh copy, with command-line
    ``overrides`` (None values ignored) checked against the schema as the recipe's own values are."""
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    words = " ".join(f"--{key.replace('_', '-')} {value}" for key, value in given.items())
    return config_from_dict({**MASK_NETWORK_RECIPE, **given}, f"the default recipe with {words}" if words else "the default recipe")


def without_contacts(config: TrainConfig) -> TrainConfig:
    """The same recipe for a binary teeth mask (background / tooth): for masks with one value for all teeth."""
    values = config.to_dict()
    values["model"].update(num_classes=2, contact_width=0, class_names=["background", "tooth"])
    return config_from_dict(values, "the default recipe")
