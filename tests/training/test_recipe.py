"""Without --config, train uses the bundled mask network's recipe (configs/contacts.yaml)."""

from __future__ import annotations

from pathlib import Path

from teethseg.cli import main
from teethseg.config import load_config
from teethseg.nn.model_file import read_model_metadata
from teethseg.training.recipe import default_recipe, without_contacts
from tests.conftest import tiny_config, write_images_masks

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_the_default_recipe_is_the_bundled_mask_networks():
    assert default_recipe() == load_config(CONFIGS / "contacts.yaml")
    assert default_recipe().crop_size is None and default_recipe().model.contact_width == 2


def test_without_contacts_is_the_same_recipe_for_a_binary_mask():
    binary = without_contacts(default_recipe())
    assert (binary.model.num_classes, binary.model.contact_width) == (2, 0)
    assert binary.epochs == default_recipe().epochs and binary.model.channels == default_recipe().model.channels


def test_train_without_config_uses_it_and_drops_contacts_on_masks_of_one_value(tmp_path, monkeypatch, capsys):
    import teethseg.training.train as training

    tiny = tiny_config(epochs=1)
    tiny.model.num_classes, tiny.model.contact_width = 3, 2
    monkeypatch.setattr(training, "default_recipe", lambda overrides=None: tiny)
    data = write_images_masks(tmp_path / "data", n=6)  # one value for all teeth
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "run"), "--no-report"]) == 0
    assert "without its contact class" in capsys.readouterr().out
    config = load_config(tmp_path / "run" / "config.yaml")
    assert (config.model.num_classes, config.model.contact_width) == (2, 0)
    assert read_model_metadata(tmp_path / "run" / "model.safetensors") is not None
