"""The shared metrics directory: made when missing, emptied of a previous run's counters."""

from __future__ import annotations

from fazhi.observability import multiproc


def test_multiproc_prepare_makes_a_private_directory(tmp_path, monkeypatch):
    monkeypatch.setenv(multiproc.ENV, "")  # empty counts as unset; monkeypatch restores what prepare writes
    monkeypatch.delenv(multiproc.ENV.lower(), raising=False)
    path = multiproc.prepare(tmp_path / "data")
    assert path.is_dir() and path.parent == tmp_path / "data"
    assert multiproc.enabled()


def test_multiproc_prepare_empties_an_operator_directory(tmp_path, monkeypatch):
    given = tmp_path / "prom"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"old")
    (given / "keep.txt").write_text("not ours")
    monkeypatch.setenv(multiproc.ENV, str(given))
    assert multiproc.prepare(tmp_path / "data") == given
    assert sorted(p.name for p in given.iterdir()) == ["keep.txt"]


def test_multiproc_prepare_removes_directories_of_dead_processes(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    monkeypatch.setenv(multiproc.ENV, "")
    data = tmp_path / "data"
    data.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = data / f"metrics-{dead.stdout.strip()}-abc"
    orphan.mkdir()
    living = data / f"metrics-{os.getpid()}-xyz"
    living.mkdir()
    made = multiproc.prepare(data)
    assert not orphan.exists() and living.exists() and made.exists()
