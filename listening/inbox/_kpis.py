"""Responsiveness KPIs per ISO week and brand, for the own brand and each competitor, from public threads.

Per brand, over its items published in the week (``project.timezone`` weeks, like the digest):
items needing an answer (question, complaint or request, not by the brand, not deleted unanswered),
the share answered (a reply from the brand's handles was seen; closing by hand does not count, since
competitors cannot be closed by hand), the median and 90th percentile time to that first answer
(wall-clock hours), and SLA breaches (answered after the deadline, or unanswered past it at ``now``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np

from listening.config import ListeningConfig
from listening.digest._weeks import week_bounds
from listening.inbox._inbox import items
from listening.inbox._sla import hours
from listening.store import Store


@dataclass(frozen=True)
class BrandKpis:
    week: str
    brand: str
    own: bool
    needing: int
    answered: int
    median_hours: float | None
    p90_hours: float | None
    breaches: int

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.needing if self.needing else None

    def as_row(self) -> dict[str, Any]:
        share = self.answered_share
        return {**asdict(self), "answered_share": round(share, 3) if share is not None else None}


def weekly_kpis(store: Store, config: ListeningConfig, model_id: str, week: str, *, now: datetime) -> list[BrandKpis]:
    """One row per configured brand (own first), zeros where a brand had no items that week."""
    bounds = week_bounds(week, config.project.timezone, config.project.week_start)
    found = [it for it in items(store, config, model_id, now=now, brand="*")
             if bounds.start <= it.published_at < bounds.end]
    out = []
    for brand in sorted(config.brands, key=lambda b: (not b.own, b.key)):
        mine = [it for it in found if it.brand == brand.key]
        waits = [hours(it.answered_at - it.published_at) for it in mine if it.answered_at is not None]
        breaches = sum((it.answered_at or now) > it.deadline for it in mine)
        out.append(BrandKpis(
            bounds.label, brand.key, brand.own, len(mine), len(waits),
            round(float(np.median(waits)), 2) if waits else None,
            round(float(np.percentile(waits, 90)), 2) if waits else None, breaches))
    return out


def kpis_table(rows: list[BrandKpis], names: dict[str, str]) -> list[dict[str, Any]]:
    """Rows for a table: brand name, needing, answered share, median/p90 hours, breaches."""
    def num(value: float | None, fmt: str) -> str:
        return "–" if value is None else format(value, fmt)

    return [{"brand": names.get(k.brand, k.brand) + (" (own)" if k.own else ""), "needing answer": k.needing,
             "answered": num(k.answered_share, ".0%"), "median h": num(k.median_hours, ".1f"),
             "p90 h": num(k.p90_hours, ".1f"), "SLA breaches": k.breaches} for k in rows]
