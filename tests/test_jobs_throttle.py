"""Progress writes are throttled, but the first, forced and spaced-out ones go through."""

from __future__ import annotations

from workers import jobs


def test_jobs_throttle_writes_first_forced_and_after_interval(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(jobs.time, "monotonic", lambda: now[0])
    t = jobs._Throttle(interval=0.25)
    assert t.due()  # the first report
    now[0] += 0.1
    assert not t.due()
    assert t.due(force=True)  # last page / last stage
    now[0] += 0.2
    assert not t.due()
    now[0] += 0.06
    assert t.due()


def test_jobs_throttle_started_skips_the_first_report(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(jobs.time, "monotonic", lambda: now[0])
    t = jobs._Throttle(interval=0.25, started=now[0])  # the start recorded the first stage
    assert not t.due()
    assert t.due(force=True)
    now[0] += 0.3
    assert t.due()
