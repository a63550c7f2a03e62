"""The result store: random ids, age and size limits, nothing found from a client's path."""

from pathlib import Path

from teethseg.serve.results import ResultStore


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def add(store: ResultStore, size: int) -> str:
    result_id, folder = store.new_folder()
    (folder / "r_mask.png").write_bytes(b"x" * size)
    store.add(result_id, folder)
    return result_id


def test_ids_are_random_and_folders_private(tmp_path):
    store = ResultStore(tmp_path / "results", 10_000, 60)
    ids = {add(store, 10) for _ in range(20)}
    assert len(ids) == 20 and all(len(i) == 22 for i in ids)
    assert (store.root.stat().st_mode & 0o777) == 0o700
    assert all((store.root / i).stat().st_mode & 0o077 == 0 for i in ids)


def test_old_results_expire_and_are_removed(tmp_path):
    clock = Clock()
    store = ResultStore(tmp_path / "results", 10_000, 60, clock)
    first = add(store, 10)
    clock.now = 30
    second = add(store, 10)
    assert store.file(first, "mask.png") is not None
    clock.now = 61
    assert store.file(first, "mask.png") is None and not (store.root / first).exists()
    assert store.file(second, "mask.png") is not None


def test_the_oldest_go_when_over_the_size_limit(tmp_path):
    clock = Clock()
    store = ResultStore(tmp_path / "results", 250, 3600, clock)
    ids = []
    for second in range(4):
        clock.now = second
        ids.append(add(store, 100))
    assert [store.file(i, "mask.png") is not None for i in ids] == [False, False, True, True]
    assert store.total_bytes == 200
    big = add(store, 1000)  # alone over the limit: kept, as it was just made; the others go
    assert store.file(big, "mask.png") is not None and store.total_bytes == 1000


def test_only_known_ids_and_file_names_are_found(tmp_path):
    store = ResultStore(tmp_path / "results", 10_000, 60)
    result_id = add(store, 10)
    (tmp_path / "secret.txt").write_text("no")
    for name in ["../secret.txt", "r_mask.png", "mask.png/..", "record.json"]:
        assert store.file(result_id, name) is None, name
    for other in ["..", "../results", "A" * 22, result_id + "x"]:
        assert store.file(other, "mask.png") is None, other
    assert store.file(result_id, "mask.png") == store.root / result_id / "r_mask.png"


def test_close_removes_everything(tmp_path):
    store = ResultStore(tmp_path / "results", 10_000, 60)
    add(store, 10)
    store.close()
    assert not Path(store.root).exists()
