"""Store -> :class:`Digest`: polars aggregations over the 8-week window, no per-mention Python loops."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from listening.config import ListeningConfig
from listening.digest import _query
from listening.digest._model import (
    Activity, BrandSentiment, BrandShare, Campaign, Crisis, Digest, Methodology, Movement, Post, ReachChange, Theme,
)
from listening.digest._weeks import day_edges, week_bounds, zone
from listening.i18n import labels
from listening.nlp.topics import keyword_tokens
from listening.store import Store

HISTORY_WEEKS = 8
THEMES_PER_BRAND = 4
THEME_SAMPLE = 150
ACTIVITY_PER_BRAND = 8
MIN_MENTIONS = 5
CAMPAIGN_MIN = 5
CAMPAIGN_RATIO = 2.0
_LAUNCH = re.compile(r"launch|announc|unveil|introduc|発表|発売|登場|출시|공개|선보", re.I)
_PRESS = re.compile(r"press release|newsroom|プレスリリース|報道発表|보도자료", re.I)
_RELEASE = re.compile(r"release|changelog|version|v\d+\.\d+|リリース|릴리스|업데이트", re.I)


def build_digest(store: Store, config: ListeningConfig, week: str, model_id: str, *, lang: str | None = None,
                 reach_changes: Sequence[Any] | None = None) -> Digest:
    """Compute one week's digest from the store; the same store content always gives the same digest.

    ``reach_changes``: dicts or ``listening.reach.ReachChange`` objects for the week (the caller picks them).
    """
    lang = lang or config.project.digest_language
    L = labels(lang)
    tz, week_start = config.project.timezone, config.project.week_start
    current = week_bounds(week, tz, week_start)
    first = current.shift(-(HISTORY_WEEKS - 1), tz, week_start)
    edges = day_edges(first.first_day, 7 * HISTORY_WEEKS, tz)
    names = {b.key: b.name for b in config.brands}
    own = {b.key for b in config.brands if b.own}

    frame = _query.scan_window(store, model_id, list(names), edges[0], edges[-1])
    cuts = pl.Series([int(e.timestamp()) * 1_000_000 for e in edges])
    day = pl.Series("day", cuts.search_sorted(frame["ts"], side="right"), dtype=pl.Int64) - 1
    frame = frame.with_columns(
        day=day, week=day // 7,
        reach=pl.max_horizontal(*(pl.col(c).fill_null(0) for c in ("views", "author_followers", "likes", "score"))).clip(0),
    )
    last = HISTORY_WEEKS - 1
    this_week = frame.filter(pl.col("week") == last)

    weekly = _weekly(frame)
    shares = _shares(weekly, names, own, last)
    sentiment = _sentiment(weekly, names, last)
    themes_ids, themes_raw = _theme_candidates(this_week, names)
    activity_rows = _competitor_posts(this_week, own)
    campaign_rows = _campaign_days(frame, own, last)
    evidence_ids = _evidence_ids(this_week)
    alert_rows = _query.week_alerts(store, sorted(own), current.start, current.end)

    posts_by_id = _query.fetch_posts(store, [*themes_ids, *activity_rows["id"], *(r["post"] for r in campaign_rows if r["post"]),
                                            *evidence_ids.values()])
    meta = {r["id"]: r for r in frame.filter(pl.col("id").is_in(list(posts_by_id))).to_dicts()}

    def post(pid: str | None) -> Post | None:
        if not pid or pid not in posts_by_id:
            return None
        return Post.from_row({**meta.get(pid, {}), **posts_by_id[pid]})

    themes = _themes(themes_raw, posts_by_id, post, names)
    activity = [Activity(r["brand"], _kind(posts_by_id.get(r["id"], {})), p)
                for r in activity_rows.to_dicts() if (p := post(r["id"]))]
    campaigns = [Campaign(r["brand"], _local_day(edges[r["day"]], tz), int(r["positive"]), float(r["baseline"]), post(r["post"]))
                 for r in campaign_rows]
    crises = [_crisis(r) for r in alert_rows]
    changes = _movements(L, shares, sentiment, campaigns, crises, names, evidence_ids, post)
    sources = this_week.group_by("source").len().sort(["len", "source"], descending=[True, False])
    trend_weeks = [current.shift(i - last, tz, week_start).label for i in range(HISTORY_WEEKS)]
    methodology = Methodology(
        model_id=model_id, timezone=tz, week_start=week_start, window=f"{trend_weeks[0]} – {trend_weeks[-1]}",
        total_mentions=this_week.height, sources=[(s, int(n)) for s, n in sources.iter_rows()],
        limits=list(L["limit_text"]),  # type: ignore[arg-type]
    )
    return Digest(
        week=current.label, lang=lang, project=config.project.name, start=_stamp(current.start, tz), end=_stamp(current.end, tz),
        trend_weeks=trend_weeks, changes=changes, share_of_voice=shares, sentiment=sentiment, themes=themes,
        activity=activity, campaigns=campaigns,
        reach_changes=[ReachChange.from_any(r) for r in (reach_changes or [])],
        crises=crises, methodology=methodology, brand_names=names,
    )


def _stamp(ts: Any, tz: str) -> str:
    return ts.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M %Z")


def _local_day(ts: Any, tz: str) -> str:
    return ts.astimezone(zone(tz)).date().isoformat()


def _weekly(frame: pl.DataFrame) -> pl.DataFrame:
    """Per brand and week: volume, reach and sentiment counts."""
    return frame.group_by("brand", "week").agg(
        n=pl.len(), reach=pl.col("reach").sum(),
        pos=(pl.col("sentiment") == "positive").sum(), neg=(pl.col("sentiment") == "negative").sum(),
        neu=(pl.col("sentiment") == "neutral").sum(),
    )


def _cell(weekly: pl.DataFrame, brand: str, week: int, col: str) -> int:
    hit = weekly.filter((pl.col("brand") == brand) & (pl.col("week") == week))
    return int(hit[col][0]) if hit.height else 0


def _shares(weekly: pl.DataFrame, names: dict[str, str], own: set[str], last: int) -> list[BrandShare]:
    totals = {}
    for w in (last - 1, last):
        rows = weekly.filter(pl.col("week") == w)
        totals[w] = (rows["n"].sum(), rows["reach"].sum())
    out = []
    for brand, name in names.items():
        n, n0 = _cell(weekly, brand, last, "n"), _cell(weekly, brand, last - 1, "n")
        r, r0 = _cell(weekly, brand, last, "reach"), _cell(weekly, brand, last - 1, "reach")
        out.append(BrandShare(brand, name, brand in own, n, n0, _ratio(n, totals[last][0]), _ratio(n0, totals[last - 1][0]),
                              r, r0, _ratio(r, totals[last][1]), _ratio(r0, totals[last - 1][1])))
    return sorted(out, key=lambda s: (-s.mentions, s.brand))


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def _net(weekly: pl.DataFrame, brand: str, week: int) -> float | None:
    n = _cell(weekly, brand, week, "n")
    return (_cell(weekly, brand, week, "pos") - _cell(weekly, brand, week, "neg")) / n if n else None


def _sentiment(weekly: pl.DataFrame, names: dict[str, str], last: int) -> list[BrandSentiment]:
    out = []
    for brand, name in names.items():
        n = _cell(weekly, brand, last, "n")
        neg = _cell(weekly, brand, last, "neg")
        out.append(BrandSentiment(
            brand, name, n, _cell(weekly, brand, last, "pos"), _cell(weekly, brand, last, "neu"), neg,
            _net(weekly, brand, last), _net(weekly, brand, last - 1), neg / n if n else None,
            [_net(weekly, brand, w) for w in range(last + 1)],
        ))
    return sorted(out, key=lambda s: (-s.total, s.brand))


def _theme_candidates(week: pl.DataFrame, names: dict[str, str]) -> tuple[list[str], pl.DataFrame]:
    """Top topics per brand and the highest-reach sample of each (ids only)."""
    counts = week.group_by("brand", "topic").agg(count=pl.len()).with_columns(
        share=pl.col("count") / pl.col("count").sum().over("brand"))
    top = (counts.sort(["brand", "count", "topic"], descending=[False, True, False])
           .group_by("brand", maintain_order=True).head(THEMES_PER_BRAND))
    sample = (week.join(top.select("brand", "topic"), on=["brand", "topic"])
              .sort(["brand", "topic", "reach", "id"], descending=[False, False, True, False])
              .group_by("brand", "topic", maintain_order=True).head(THEME_SAMPLE)
              .group_by("brand", "topic", maintain_order=True).agg(ids=pl.col("id")))
    themes = top.join(sample, on=["brand", "topic"], how="left", maintain_order="left")
    return [i for ids in themes["ids"].to_list() for i in (ids or [])], themes


def _themes(raw: pl.DataFrame, posts: dict[str, dict[str, Any]], post: Any, names: dict[str, str]) -> dict[str, list[Theme]]:
    """Keywords per theme, ranked by how specific they are to it among this week's themes."""
    docs = {pid: set(keyword_tokens(f"{p.get('title') or ''} {p.get('text') or ''}")) for pid, p in posts.items()}
    rows = raw.to_dicts()
    df = Counter(tok for r in rows for pid in (r["ids"] or []) for tok in docs.get(pid, ()))
    n_docs = max(1, sum(len(r["ids"] or []) for r in rows))
    out: dict[str, list[Theme]] = {}
    for r in rows:
        brand_words = {t for t in keyword_tokens(f"{r['brand']} {names.get(r['brand'], '')}")}
        tf = Counter(tok for pid in (r["ids"] or []) for tok in docs.get(pid, ()) if tok not in brand_words)
        ranked = sorted((t for t in tf if tf[t] >= 2), key=lambda t: (-tf[t] * math.log(1 + n_docs / df[t]), t))
        quoted = [p for pid in (r["ids"] or [])[:2] if (p := post(pid))]
        out.setdefault(r["brand"], []).append(Theme(r["brand"], r["topic"], int(r["count"]), float(r["share"]), ranked[:5], quoted))
    return {b: out[b] for b in names if b in out}


def _competitor_posts(week: pl.DataFrame, own: set[str]) -> pl.DataFrame:
    """Competitors' own posts this week, newest first, a few per brand."""
    return (week.filter(pl.col("is_own") & ~pl.col("brand").is_in(list(own)))
            .sort(["brand", "ts", "id"], descending=[False, True, False])
            .group_by("brand", maintain_order=True).head(ACTIVITY_PER_BRAND).select("brand", "id"))


def _kind(row: Mapping[str, Any]) -> str:
    """launch / press / release / update, from the post's title and opening text."""
    text = f"{row.get('title') or ''} {(row.get('text') or '')[:300]}"
    for kind, pattern in (("press", _PRESS), ("launch", _LAUNCH), ("release", _RELEASE)):
        if pattern.search(text):
            return kind
    return "update"


def _campaign_days(frame: pl.DataFrame, own: set[str], last: int) -> list[dict[str, Any]]:
    """Competitor days this week whose positive count is at least CAMPAIGN_RATIO x the prior 7-week daily mean."""
    positive = frame.filter((pl.col("sentiment") == "positive") & ~pl.col("brand").is_in(list(own)))
    history_days = 7 * last
    base = (positive.filter(pl.col("day") < history_days).group_by("brand")
            .agg(baseline=pl.len() / history_days))
    days = (positive.filter(pl.col("week") == last)
            .sort(["reach", "id"], descending=[True, False])
            .group_by("brand", "day").agg(positive=pl.len(), post=pl.col("id").first())
            .join(base, on="brand", how="left").with_columns(pl.col("baseline").fill_null(0.0))
            .filter((pl.col("positive") >= CAMPAIGN_MIN) & (pl.col("positive") >= CAMPAIGN_RATIO * pl.col("baseline")))
            .sort(["brand", "day"]))
    return days.to_dicts()


def _evidence_ids(week: pl.DataFrame) -> dict[tuple[str, str], str]:
    """Highest-reach post per brand overall and per sentiment: the links behind each movement."""
    ranked = week.sort(["reach", "id"], descending=[True, False])
    out = {(b, "any"): i for b, i in ranked.group_by("brand", maintain_order=True).agg(pl.col("id").first()).iter_rows()}
    for b, s, i in ranked.group_by("brand", "sentiment", maintain_order=True).agg(pl.col("id").first()).iter_rows():
        out[(b, s)] = i
    return dict(sorted(out.items()))


def _crisis(row: dict[str, Any]) -> Crisis:
    e = row["explanation"]
    posts = [Post.from_row({"id": f"{row['key']}#{i}", "brand": row["brand"], "source": p.source, "lang": p.lang, "url": p.url,
                            "text": p.text, "author": p.author, "reach": p.reach, "sentiment": "negative"})
             for i, p in enumerate(e.posts[:3])]
    return Crisis(row["key"], row["brand"], row["severity"], row["state"], row["opened_at"], row["resolved_at"],
                  float(e.ratio), float(e.current), float(e.baseline), [t for t, _ in e.terms[:5]], posts)


def _movements(L: dict[str, Any], shares: list[BrandShare], sentiment: list[BrandSentiment], campaigns: list[Campaign],
               crises: list[Crisis], names: dict[str, str], evidence: dict[tuple[str, str], str], post: Any) -> list[Movement]:
    """The 3-5 largest week-over-week movements, comparable in percentage points."""
    moves: list[Movement] = []
    for s in shares:
        if max(s.mentions, s.mentions_prev) < MIN_MENTIONS:
            continue
        delta = 100 * (s.share - s.share_prev)
        text = L["move_sov"].format(brand=s.name, before=100 * s.share_prev, after=100 * s.share, delta=delta)
        moves.append(Movement("sov", s.brand, text, abs(delta), post(evidence.get((s.brand, "any")))))
        if s.mentions_prev:
            pct = 100 * (s.mentions / s.mentions_prev - 1)
            text = L["move_volume"].format(brand=s.name, before=s.mentions_prev, after=s.mentions, delta=pct)
            moves.append(Movement("volume", s.brand, text, min(abs(pct), 400) / 10, post(evidence.get((s.brand, "any")))))
    for s in sentiment:
        if s.net is None or s.net_prev is None or s.total < MIN_MENTIONS:
            continue
        delta = s.net - s.net_prev
        moves.append(Movement("net", s.brand, L["move_net"].format(brand=s.name, before=s.net_prev, after=s.net, delta=delta),
                              100 * abs(delta), post(evidence.get((s.brand, "negative" if delta < 0 else "positive")))))
    for c in campaigns:
        moves.append(Movement("campaign", c.brand, L["move_campaign"].format(brand=names.get(c.brand, c.brand), day=c.day,
                              after=c.positive, before=c.baseline), 10 + min(c.positive / max(c.baseline, 1.0), 10), c.evidence))
    for c in crises:
        moves.append(Movement("crisis", c.brand, L["move_crisis"].format(brand=names.get(c.brand, c.brand), severity=c.severity,
                              after=c.ratio), 100.0, c.posts[0] if c.posts else None))
    moves = [m for m in moves if m.magnitude > 0.05]
    return sorted(moves, key=lambda m: (-m.magnitude, m.kind, m.brand))[:5]
