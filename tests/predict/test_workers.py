"""How predict shares the CPU, and the guess of it made before any folder is listed."""

import os

from PIL import Image

from teethseg.predict.workers import MAX_WORKERS, cpu_workers, jobs_guess


def test_one_image_gets_every_core_and_many_share_them(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert cpu_workers(1) == (1, None)
    assert cpu_workers(2) == (2, 2)
    assert cpu_workers(100) == (MAX_WORKERS, 1)
    assert cpu_workers(100, cuda=True) == (1, None)


def test_the_guess_counts_files_and_the_first_images_of_a_folder(tmp_path):
    one, many, empty = tmp_path / "one", tmp_path / "many", tmp_path / "empty"
    for folder, count in ((one, 1), (many, 9), (empty, 0)):
        folder.mkdir()
        for i in range(count):
            Image.new("L", (8, 8)).save(folder / f"{i}.png")
    (one / "notes.txt").write_text("not an image")
    (tmp_path / "list.txt").write_text(str(one / "0.png"))
    assert jobs_guess([str(one)], 0) == 1
    assert jobs_guess([str(many)], 0) == MAX_WORKERS
    assert jobs_guess([str(empty)], 0) == 0
    assert jobs_guess([str(one / "0.png")], 0) == 1
    assert jobs_guess([str(one / "0.png")], 3) == 4
    assert jobs_guess([str(tmp_path / "list.txt")], 0) == MAX_WORKERS  # a list: its length is read later
    assert jobs_guess([str(tmp_path / "missing.png")], 0) == 0  # reported later, in predict's words
    assert jobs_guess([str(tmp_path / "*" / "*.png")], 0) == MAX_WORKERS  # a pattern: expanded later


def test_the_guess_of_an_image_file_and_a_folder_matches_what_predict_uses(tmp_path):
    for i in range(3):
        Image.new("L", (8, 8)).save(tmp_path / f"{i}.png")
    for inputs, jobs in (([str(tmp_path / "0.png")], 1), ([str(tmp_path)], 3)):
        assert cpu_workers(jobs_guess(inputs, 0)) == cpu_workers(jobs)
