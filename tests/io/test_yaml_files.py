"""YAML with aliases bounded: an alias bomb in a recipe or data.yaml is refused in one line."""

from __future__ import annotations

import pytest
import yaml

from teethseg.cli import main
from teethseg.config import load_config
from teethseg.errors import TeethsegError
from teethseg.io.yaml_files import MAX_ALIASES, UnsafeYAML, safe_load

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def test_a_few_aliases_are_read():
    text = "base: &base {lr: 0.1}\n" + "".join(f"k{i}: *base\n" for i in range(MAX_ALIASES))
    assert safe_load(text)[f"k{MAX_ALIASES - 1}"] == {"lr": 0.1}


def test_an_alias_bomb_is_refused_before_it_is_built():
    with pytest.raises(UnsafeYAML, match="aliases"):
        safe_load(BOMB)
    assert isinstance(UnsafeYAML("x"), yaml.YAMLError)


def test_deep_nesting_is_refused():
    with pytest.raises(yaml.YAMLError):
        safe_load("[" * 100_000 + "]" * 100_000)


def test_a_recipe_with_an_alias_bomb_names_the_file(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    with pytest.raises(TeethsegError, match="bomb.yaml.*aliases"):
        load_config(path)


def test_data_yaml_with_an_alias_bomb_is_one_line(tmp_path, capsys):
    root = tmp_path / "y"
    (root / "train" / "images").mkdir(parents=True)
    (root / "data.yaml").write_text(BOMB + "train: ../train/images\nnames: *i\n")
    assert main(["data", "check", str(root)]) != 0
    captured = capsys.readouterr()
    assert "data.yaml" in captured.out + captured.err and "aliases" in captured.out + captured.err
    assert "Traceback" not in captured.err
