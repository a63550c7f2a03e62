from pathlib import Path

import pytest

from teethseg.config import TrainConfig, load_config, save_config
from teethseg.errors import TeethsegError


def test_round_trip(tmp_path):
    config = TrainConfig(epochs=3)
    config.model.channels = [8, 16, 32]
    config.model.strides = [2, 2]
    save_config(config, tmp_path / "c.yaml")
    assert load_config(tmp_path / "c.yaml") == config


RECIPES = sorted((Path(__file__).parents[1] / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_committed_recipes_load(path):
    config = load_config(path)
    assert config.model.num_classes >= 2 and config.epochs > 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("epochz: 3\n", "unknown config keys: epochz"),
        ("model: {channels: [8, 16], strides: [2, 2]}\n", "one entry fewer"),
        ("model: {num_classes: 1}\n", "at least 2"),
        ("model: {contact_width: 2}\n", "num_classes: 3"),
        ("model: {num_classes: 3, contact_width: -1}\n", "a width in pixels"),
        ("scale: [1.2, 0.8]\n", "smallest, largest"),
        ("scale: [0, 1]\n", "both above 0"),
        ("remove_teeth: 0.5\n", "needs a numbered model"),
        ("model: {num_classes: 33}\nclose_gaps: 0.5\n", "close_gaps needs remove_teeth"),
        ("close_up: 1.5\n", "close_up must be a share"),
        ("close_up_area: [0.4, 0.06]\n", "close_up_area must be"),
        ("close_up_area: [0, 0.4]\n", "close_up_area must be"),
        ("close_up_area: [0.1]\n", "close_up_area must be"),
        ("- a list\n", "mapping"),
        ("epochs: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_configs_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(TeethsegError, match=message):
        load_config(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("epochs: ten\n", "epochs: Input should be a valid integer"),
        ("epochs: 0\n", "epochs: Input should be greater than or equal to 1"),
        ("epochs: -5\n", "epochs: Input should be greater than or equal to 1"),
        ("epochs: 2.5\n", "epochs: Input should be a valid integer"),
        ("batch_size: 0\n", "batch_size: Input should be greater than or equal to 1"),
        ("model: {input_size: [0, 0]}\n", "model.input_size.0: Input should be greater than or equal to 16"),
        ("model: {input_size: [512]}\n", "model.input_size: List should have at least 2 items"),
        ("model: {input_size: 512}\n", "model.input_size: Input should be a valid list"),
        ("crop_size: 100000\n", "crop_size: Input should be less than or equal to 4096"),
        ("crop_size: 600\n", "crop_size 600 must fit in model.input_size"),
        ("lr: -0.1\n", "lr: Input should be greater than or equal to 0"),
        ("lr: .nan\n", "lr: Input should be"),
        ("model: {normalization: minmax}\n", "model.normalization: Input should be 'zscore' or 'unit'"),
        ("model: {channels: [8, 16], strides: [2]}\nseed: -1\n", "seed: Input should be greater than or equal to 0"),
        ("model: {bogus: 1}\n", "unknown config keys: model.bogus"),
        ("model: [1, 2]\n", "config must be a mapping"),
    ],
)
def test_values_out_of_the_schema_are_one_line_naming_file_and_field(tmp_path, text, message):
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    with pytest.raises(TeethsegError, match=message) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ") and "\n" not in str(error.value)


@pytest.mark.parametrize("epochs", [0, -1])
def test_command_line_overrides_are_checked_as_recipe_values(epochs):
    with pytest.raises(TeethsegError, match=f"with --epochs {epochs}: epochs: Input should be greater"):
        load_config(None, {"epochs": epochs, "seed": None})
    assert load_config(None, {"epochs": 3, "seed": None}).epochs == 3


def test_a_validated_config_is_still_a_plain_dataclass(tmp_path):
    from dataclasses import asdict

    path = tmp_path / "c.yaml"
    path.write_text("epochs: 3\nmodel: {input_size: [64, 96]}\ncrop_size: 32\n")
    config = load_config(path)
    assert asdict(config)["model"]["input_size"] == [64, 96] and config.to_dict()["epochs"] == 3
