"""The README's Metrics table lists exactly the metrics the code exports."""

from __future__ import annotations

import re

from prometheus_client import Counter, Histogram

from fazhi.observability import metrics
from tests._cli_support import REPO

README = (REPO / "README.md").read_text("utf-8")


def _documented() -> set[str]:
    section = re.search(r"^## Metrics\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert section, "README has no Metrics section"
    return set(re.findall(r"^\| `(fazhi_[a-z_]+)` \|", section.group(1), re.M))


def _exported() -> set[str]:
    names = set()
    for obj in vars(metrics).values():
        if isinstance(obj, (Counter, Histogram)):
            names.add(obj._name + ("_total" if isinstance(obj, Counter) else ""))
    names |= {f.name for f in metrics.RedisCollector(_FakeRedis(), ["q"]).collect()}
    return names


class _FakeRedis:
    """Answers every command with an empty value, so the collector yields all its families."""

    def pipeline(self, transaction=False):
        return self

    def llen(self, *_):
        pass

    def lindex(self, *_):
        pass

    def smembers(self, *_):
        pass

    def execute(self):
        return [0, None, set()]

    def scard(self, *_):
        return 0


def test_readme_metrics_table_matches_the_code():
    exported, documented = _exported(), _documented()
    assert "fazhi_jobs_finished_total" in exported and "fazhi_queue_depth" in exported
    assert exported - documented == set(), "metrics missing from the README"
    assert documented - exported == set(), "README lists metrics the code does not export"


def test_readme_metrics_all_start_with_fazhi():
    assert all(name.startswith("fazhi_") for name in _exported())
