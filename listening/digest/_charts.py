"""Digest charts as PNG bytes (matplotlib Agg, no pyplot state, no network).

Axis text is brand names (a name in Hangul, kana or Han characters falls back to the
brand's key), ISO week numbers and numbers only, so charts need no CJK font and read the
same in every digest language; headings live in the page.
PNG metadata is pinned so the same digest always gives the same bytes.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from listening.digest._model import Digest
from listening.render import axis_name

_THIS, _LAST = "#1f5fa8", "#a9c4e6"
_PALETTE = ["#1f5fa8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#2e4057", "#c4a35a"]


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return buf.getvalue()


def share_of_voice_figure(digest: Digest) -> Figure:
    """Two bar panels (mentions, reach): last week vs this week, per brand."""
    rows = digest.share_of_voice
    fig = Figure(figsize=(8, 0.55 * max(len(rows), 2) + 1.2))
    brands = [axis_name(s.name, s.brand) for s in rows][::-1]
    y = list(range(len(brands)))
    for i, (attr, title) in enumerate((("share", "mentions"), ("reach_share", "reach"))):
        ax = fig.add_subplot(1, 2, i + 1)
        now = [100 * getattr(s, attr) for s in rows][::-1]
        prev = [100 * getattr(s, attr + "_prev") for s in rows][::-1]
        ax.barh([v + 0.2 for v in y], prev, height=0.4, color=_LAST, label=digest.trend_weeks[-2][-3:])
        ax.barh([v - 0.2 for v in y], now, height=0.4, color=_THIS, label=digest.week[-3:])
        ax.set_yticks(y, brands if i == 0 else [""] * len(brands))
        ax.set_xlabel(f"% of {title}")
        ax.set_xlim(0, max([*now, *prev, 1.0]) * 1.15)
        ax.grid(axis="x", alpha=0.3)
        for v, value in zip(y, now):
            ax.annotate(f"{value:.0f}%", (value, v - 0.2), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    fig.axes[0].legend(loc="lower right", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def trend_extent(digest: Digest) -> tuple[int, tuple[float, float]]:
    """Where the trend chart starts (the first week any brand has data) and its y range (the data's, with 0 in view).

    Weeks before listening began are left off rather than drawn empty, and the axis spans what the
    brands' net sentiment actually reached, so a move from +0.10 to +0.25 is visible.
    """
    values = [v for s in digest.sentiment for v in s.trend if v is not None]
    first = min((i for s in digest.sentiment for i, v in enumerate(s.trend) if v is not None),
                default=len(digest.trend_weeks) - 1)
    low, high = min([0.0, *values]), max([0.0, *values])
    pad = max(0.1 * (high - low), 0.05)
    return first, (max(-1.05, low - pad), min(1.05, high + pad))


def sentiment_trend_figure(digest: Digest) -> Figure:
    """Net sentiment per brand over the weeks that have data; gaps where a brand had no mentions."""
    fig = Figure(figsize=(8, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    first, ylim = trend_extent(digest)
    weeks = digest.trend_weeks[first:]
    x = list(range(len(weeks)))
    for i, s in enumerate(sorted(digest.sentiment, key=lambda s: s.brand)):
        values = [float("nan") if v is None else v for v in s.trend[first:]]
        ax.plot(x, values, marker="o", markersize=4, linewidth=2.2 if s.brand in _own(digest) else 1.4,
                color=_PALETTE[i % len(_PALETTE)], label=axis_name(s.name, s.brand))
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_xticks(x, [w[-3:] for w in weeks])
    ax.set_xlim(-0.5, max(len(weeks) - 0.5, 0.5))
    ax.set_ylim(*ylim)
    ax.set_ylabel("net sentiment")
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def _own(digest: Digest) -> set[str]:
    return {s.brand for s in digest.share_of_voice if s.own}


def charts(digest: Digest) -> dict[str, bytes]:
    """Chart name -> PNG bytes, in a fixed order."""
    return {"sov": _png(share_of_voice_figure(digest)), "sentiment": _png(sentiment_trend_figure(digest))}
