import numpy as np
from PIL import Image

from teethseg.cli import main
from teethseg.data.check import check_dataset, format_report
from tests.conftest import write_images_masks


def test_check_reports_counts_sizes_values(tmp_path):
    report = check_dataset(write_images_masks(tmp_path / "d", n=4), progress=False)
    assert report.good == 4 and not report.problems
    assert report.image_sizes == {(96, 64): 4}
    assert report.mask_values == {0, 1}
    text = format_report(report)
    assert "images-masks" in text and "96x64 (4)" in text and "problems:    0" in text


def test_check_names_every_bad_file(tmp_path, capsys):
    root = write_images_masks(tmp_path / "d", n=4)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(root / "masks" / "img01.png")
    (root / "images" / "img02.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    assert main(["data", "check", str(root)]) == 1
    out = capsys.readouterr().out
    assert "img01.png: mask is 10x10 but its image is 96x64" in out
    assert "img02.jpg: not a readable image" in out
    assert "problems:    2" in out


def test_check_empty_folder_exits_non_zero(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["data", "check", str(tmp_path / "empty")]) == 2
    assert "empty data folder" in capsys.readouterr().err
