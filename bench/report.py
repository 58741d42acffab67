"""Figures as ``name=value`` lines, with targets checked beside them."""

from __future__ import annotations

import math
import operator
import statistics
from dataclasses import dataclass, field

_OPS = {">=": operator.ge, "<=": operator.le}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


@dataclass
class Figure:
    name: str
    value: float
    target: str | None = None  # ">=0.5" / "<=2"
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        op, bound = self.target[:2], float(self.target[2:])
        return bool(_OPS[op](self.value, bound)) if not math.isnan(self.value) else False

    def line(self) -> str:
        value = f"{self.value:.4g}" if not math.isnan(self.value) else "nan"
        extra = []
        if self.target is not None:
            extra.append(f"target{self.target} {'met' if self.met else 'MISSED'}")
        if self.note:
            extra.append(self.note)
        return f"{self.name}={value}" + (f"  # {'; '.join(extra)}" if extra else "")


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, name: str, value: float, target: str | None = None, note: str = "") -> Figure:
        fig = Figure(name, float(value), target, note)
        self.figures.append(fig)
        print(fig.line(), flush=True)
        return fig

    def summary(self) -> str:
        targeted = [f for f in self.figures if f.target is not None]
        met = sum(1 for f in targeted if f.met)
        missed = ",".join(f.name for f in targeted if not f.met) or "none"
        return f"targets_met={met}/{len(targeted)}  # missed: {missed}"
