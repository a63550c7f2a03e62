"""``teethseg predict --engine ray``: a local Ray with 2 CPUs writes what the local engine writes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PIL import Image

from teethseg.cli import main
from teethseg.predict.folders import sample_paths


@pytest.fixture(scope="module")
def ray_local():
    """A local Ray with 2 CPUs for the module; Ray missing fails under CI (it is in the dev extra), else skips."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as error:
        reason = f"Ray is not installed ({error}): pip install 'teethseg[ray]'"
        pytest.fail(reason) if os.environ.get("CI") else pytest.skip(reason)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """12 small radiographs of several sizes and one file that is not an image."""
    folder = tmp_path_factory.mktemp("archive")
    samples = sample_paths()
    for i in range(12):
        image = Image.open(samples[i % len(samples)]).convert("L")
        image.resize((240 + 8 * i, 120 + 4 * i)).save(folder / f"r{i:02d}.png")
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_ray_writes_the_local_engines_files_byte_for_byte_and_names_the_corrupt_one(ray_local, archive, tmp_path, capsys):
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    assert main(["predict", str(archive), "--out", str(local), "--no-mirror"]) == 1
    capsys.readouterr()
    assert main(["predict", str(archive), "--out", str(on_ray), "--no-mirror", "--engine", "ray", "--num-workers", "2"]) == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("teethseg: error:")]
    assert len(errors) == 1 and f"{archive / 'corrupt.png'}: " in errors[0]
    assert "Traceback" not in captured.err
    assert f"12 of 13 images written to {on_ray}; 1 failed" in captured.out
    written = _files(on_ray)
    assert len([name for name in written if name.endswith(".json")]) == 12
    assert written == _files(local)


def test_a_second_run_with_skip_existing_writes_nothing(ray_local, archive, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["predict", str(archive), "--out", str(out), "--no-mirror", "--engine", "ray", "--num-workers", "2"]
    main(args)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    capsys.readouterr()
    assert main([*args, "--skip-existing"]) == 1  # the corrupt file is tried again, and fails again
    captured = capsys.readouterr()
    assert "skipping 12 images already done" in captured.out
    assert "0 of 1 images written" in captured.out
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_a_list_of_paths_and_a_pattern_on_ray(ray_local, archive, tmp_path, capsys):
    listing = tmp_path / "paths.txt"
    listing.write_text(f"# two of the archive\n{archive / 'r00.png'}\n\n{archive / 'r01.png'}\n")
    out = tmp_path / "out"
    assert main(["predict", str(listing), str(archive / "r1*.png"), "--out", str(out), "--no-mirror",
                 "--engine", "ray"]) == 0
    assert sorted(p.name for p in out.glob("*.json")) == ["r00.json", "r01.json", "r10.json", "r11.json"]


def test_without_ray_the_engine_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    image = tmp_path / "x.png"
    Image.open(sample_paths()[0]).convert("L").resize((200, 100)).save(image)
    assert main(["predict", str(image), "--out", str(tmp_path / "out"), "--engine", "ray"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "teethseg: error: --engine ray needs Ray: pip install 'teethseg[ray]'"
    assert not (tmp_path / "out").exists()
