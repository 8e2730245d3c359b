"""Responsiveness KPIs per ISO week and brand, for the own brand and each competitor, from public threads.

Per brand, over its items published in the week (``project.timezone`` weeks, like the digest):
items needing an answer (question, complaint or request, not by the brand, not deleted unanswered),
the share answered (a reply from the brand's handles was seen; closing by hand does not count, since
competitors cannot be closed by hand), the median and 90th percentile time to that first answer
(wall-clock hours), and SLA breaches (answered after the deadline, or unanswered past it at ``now``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np

from listening.config import ListeningConfig
from listening.digest._weeks import week_bounds
from listening.inbox._inbox import items
from listening.inbox._sla import hours
from listening.render import axis_name
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
    found = items(store, config, model_id, now=now, brand="*", published=(bounds.start, bounds.end))
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


def kpis_chart_png(rows: list[BrandKpis], names: Mapping[str, str]) -> bytes:
    """Median and p90 hours to first answer per brand (bars), answered share written beside them; brands by
    ``names`` as the table names them (:func:`~listening.render.axis_name`: no CJK font needed)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 0.6 * max(len(rows), 2) + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    brands = [axis_name(names.get(k.brand, ""), k.brand) + (" (own)" if k.own else "") for k in rows][::-1]
    y = list(range(len(brands)))
    medians = [k.median_hours or 0.0 for k in rows][::-1]
    p90s = [k.p90_hours or 0.0 for k in rows][::-1]
    ax.barh([v + 0.2 for v in y], p90s, height=0.4, color="#a9c4e6", label="p90")
    ax.barh([v - 0.2 for v in y], medians, height=0.4, color="#1f5fa8", label="median")
    for v, k in zip(y, rows[::-1]):
        share = "no items" if k.answered_share is None else f"{k.answered_share:.0%} of {k.needing} answered"
        ax.annotate(share, (max(k.p90_hours or 0.0, 0.0), v + 0.2), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_yticks(y, brands)
    ax.set_xlabel(f"hours to first answer, {rows[0].week if rows else ''}")
    ax.set_xlim(0, max([*p90s, 1.0]) * 1.45)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    fig.tight_layout()
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()
