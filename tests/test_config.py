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
