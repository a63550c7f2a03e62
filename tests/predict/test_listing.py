"""Inputs as a text file of paths or a glob pattern."""

from pathlib import Path

from teethseg.predict.listing import expand_lists


def test_a_list_file_gives_its_paths_relative_to_its_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    listing = tmp_path / "sub" / "paths.txt"
    listing.write_text("# archive\na.png\n\n/abs/b.dcm\n  c.jpg  \n")
    assert expand_lists([str(listing)]) == (
        [str(tmp_path / "sub" / "a.png"), "/abs/b.dcm", str(tmp_path / "sub" / "c.jpg")], [])


def test_a_pattern_gives_its_matches_sorted_and_into_subfolders(tmp_path):
    for name in ("b.png", "a.png", "x/c.png", "x/d.jpg"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    assert expand_lists([str(tmp_path / "**" / "*.png")])[0] == [
        str(tmp_path / "a.png"), str(tmp_path / "b.png"), str(tmp_path / "x" / "c.png")]


def test_empty_lists_and_patterns_without_matches_are_problems_and_other_inputs_pass(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    found, problems = expand_lists([str(empty), str(tmp_path / "*.tif"), "folder", "x.png"])
    assert found == ["folder", "x.png"]
    assert problems == [f"{empty}: list of paths holds no path", f"{tmp_path / '*.tif'}: no file matches this pattern"]


def test_a_file_whose_name_looks_like_a_pattern_is_itself(tmp_path):
    odd = tmp_path / "scan[1].png"
    odd.write_bytes(b"")
    assert expand_lists([str(odd)]) == ([str(odd)], [])
    assert Path(expand_lists([str(odd)])[0][0]).exists()
