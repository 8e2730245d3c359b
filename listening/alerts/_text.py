"""How an alert reads, in words people can act on: the same facts for Slack, the terminal and the Dagster UI.

Every surface leads with the episode's peak (never the resolving bucket, which is back
to normal by definition) and, once resolved, how long the surge lasted and how many
negative mentions it brought.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from listening.alerts._model import Alert
from listening.render import count_text

__all__ = ["alerts_table", "describe_markdown", "duration_text", "headline", "outcome", "peak_text", "sparkline", "utc_text"]

_SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 48) -> str:
    """Volume evolution in one line (long series are averaged down to ``width`` characters).

    >>> sparkline([0, 1, 2, 7])
    '▁▂▃█'
    """
    if not values:
        return ""
    if len(values) > width:
        step = len(values) / width
        values = [max(values[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)]) for i in range(width)]
    lo, span = min(values), (max(values) - min(values)) or 1.0
    return "".join(_SPARK[round((v - lo) / span * (len(_SPARK) - 1))] for v in values)


def utc_text(value: datetime | str | None) -> str:
    """A UTC time as people read it.

    >>> utc_text("2026-01-23T13:15:00+00:00")
    '2026-01-23 13:15 UTC'
    """
    if not value:
        return "—"
    ts = datetime.fromisoformat(value) if isinstance(value, str) else value
    return ts.strftime("%Y-%m-%d %H:%M UTC")


_UNITS = {"en": ("{h} h {m} min", "{h} h", "{m} min"), "ko": ("{h}시간 {m}분", "{h}시간", "{m}분"),
          "ja": ("{h}時間{m}分", "{h}時間", "{m}分")}


def duration_text(span: timedelta | None, lang: str = "en") -> str:
    """A duration in hours and minutes.

    >>> duration_text(timedelta(hours=4, minutes=15)), duration_text(timedelta(hours=2), "ko"), duration_text(timedelta(minutes=45), "ja")
    ('4 h 15 min', '2시간', '45分')
    """
    if span is None:
        return "—"
    minutes = round(span.total_seconds() / 60)
    h, m = divmod(minutes, 60)
    both, hours, mins = _UNITS.get(lang, _UNITS["en"])
    return both.format(h=h, m=m) if h and m else hours.format(h=h) if h else mins.format(m=m)


def peak_text(alert: Alert) -> str:
    """``16.3× normal negative volume at peak (6 vs ~0.4 per bucket, 2026-01-23 14:00 UTC)``."""
    e = alert.explanation
    when = f", {utc_text(e.peak_at)}" if e.peak_at else ""
    return (f"{e.headline_ratio:.1f}× normal negative volume at peak "
            f"({e.headline_count:.0f} vs ~{count_text(e.headline_baseline)} {e.per_bucket}{when})")


def outcome(alert: Alert) -> str:
    """For a resolved alert: how long it lasted, how many negative mentions, when it ended; else ''."""
    if alert.state != "resolved":
        return ""
    e = alert.explanation
    until = alert.active_until or alert.resolved_at
    return (f"lasted {duration_text(alert.duration)} ({utc_text(alert.window_start)} – {utc_text(until)}), "
            f"{e.total:,} negative mentions; resolved {utc_text(alert.resolved_at)} after the stream was back to normal")


def headline(alert: Alert) -> str:
    """One line: brand, severity, state, peak and (once resolved) duration and total."""
    line = f"{alert.brand} ({alert.severity}, {alert.state}): {peak_text(alert)}"
    return f"{line}; {outcome(alert)}" if alert.state == "resolved" else f"{line}; since {utc_text(alert.window_start)}"


def _plain_link(url: str, label: str) -> str:
    return f"{label} — {url}"


def describe_markdown(alert: Alert, escape: Callable[[str], str] = str,
                      link: Callable[[str, str], str] = _plain_link) -> str:
    """The whole explanation as Markdown (the terminal shows it as is).

    ``escape`` guards text from the web; ``link(url, escaped_label)`` renders a post's link.
    """
    e = alert.explanation
    lines = [f"### {escape(alert.brand)} · {alert.severity} · {alert.state}", "",
             f"- key: `{alert.key}`",
             f"- peak: **{e.headline_ratio:.1f}×** normal negative volume, {e.headline_count:.0f} vs ~{count_text(e.headline_baseline)} "
             f"{e.per_bucket} at {utc_text(e.peak_at or e.since)}",
             f"- opened: {utc_text(alert.window_start)}" + (f"; {outcome(alert)}" if alert.state == "resolved" else
                                                        f"; last bucket {utc_text(alert.window_end)}; {e.total:,} negative mentions so far")]
    if e.severity_reasons:
        lines.append(f"- severity {alert.severity} because: {', '.join(e.severity_reasons)}")
    if alert.state != "resolved":
        lines.append(f"- negative share {e.share_now:.0%} in the last bucket (usually {e.share_baseline:.0%})")
    if e.reach_text:
        lines.append(f"- {e.reach_text} (views, followers, likes or score: the largest per post; news and most comments give none)")
    timeline = e.timeline or e.evolution
    if timeline:
        lines.append(f"- timeline (negative mentions {e.per_bucket}, max {max(timeline):.0f}): `{sparkline(timeline)}`")
    for name, items in (("languages", e.languages), ("sources", e.sources), ("top terms", e.terms), ("topics", e.topics)):
        if items:
            lines.append(f"- {name}: " + ", ".join(f"{escape(k)} ({v})" for k, v in items))
    posts = e.representative_posts
    if posts:
        lines += ["", "Posts:"]
    for p in posts:
        who = " · ".join(escape(x) for x in (p.author, p.source, p.lang) if x)
        label = f"{who}{' · reach ' + format(p.reach, ',') if p.reach else ''}: {escape(p.text)}"
        lines.append(f"- {link(p.url, label)}")
    return "\n".join(lines)


def alerts_table(alerts: list[Alert], escape: Callable[[str], str] = str) -> str:
    """A fixed-width table of alerts for the terminal: when, who, how bad, how big, how long."""
    head = ("opened (UTC)", "brand", "severity", "state", "peak", "duration", "negatives", "key")
    rows = [head] + [(
        utc_text(a.window_start).removesuffix(" UTC"), escape(a.brand), a.severity, a.state,
        f"{a.explanation.headline_ratio:.1f}x", duration_text(a.duration) if a.duration is not None else "ongoing",
        f"{a.explanation.total:,}", escape(a.key),
    ) for a in alerts]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
