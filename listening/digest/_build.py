"""Store -> :class:`Digest`: polars aggregations over the 8-week window, no per-mention Python loops."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from listening.alerts import duration_text, utc_text
from listening.config import ListeningConfig
from listening.digest import _query
from listening.digest._model import (
    Activity, BrandSentiment, BrandShare, Campaign, Crisis, Digest, Methodology, Movement, Post, ReachChange, Responsiveness,
    Theme,
)
from listening.digest._weeks import day_edges, week_bounds, zone
from listening.i18n import labels
from listening.nlp.keywords import keyword_tokens
from listening.nlp.topics import OTHER, Theme as TextTheme, cluster_themes
from listening.store import Store

HISTORY_WEEKS = 8
THEMES_PER_BRAND = 4
THEME_SAMPLE = 300
THEME_MERGE = 0.95
ACTIVITY_PER_BRAND = 8
ACTIVITY_CANDIDATES = 100
_KIND_RANK = {"launch": 0, "press": 1, "release": 2, "update": 3}
MIN_MENTIONS = 5
CAMPAIGN_MIN = 5
CAMPAIGN_RATIO = 3.0
CAMPAIGN_WINDOW = 14
_LAUNCH = re.compile(r"launch|announc|unveil|introduc|発表|発売|登場|출시|공개|선보", re.I)
_PRESS = re.compile(r"press release|newsroom|プレスリリース|報道発表|보도자료", re.I)
#: "how we test before every release" talks about releasing, it is not one.
_RELEASE = re.compile(r"(?<!every )(?<!each )release|changelog|version|v\d+\.\d+|rolling out|rolls out|リリース|バージョン|アップデート|配信中|配信開始"
                      r"|릴리스|업데이트|버전", re.I)


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
    aliases = {b.key: [b.key, b.name, *b.aliases] for b in config.brands}
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
    themes_raw = _theme_candidates(this_week)
    themes_ids = [i for ids in themes_raw["ids"].to_list() for i in ids]
    activity_ids = _competitor_posts(this_week, own)
    campaign_rows = _campaign_days(frame, own, last)
    evidence_ids = _evidence_ids(this_week)
    alert_rows = _query.week_alerts(store, sorted(own), current.start, current.end)

    posts_by_id = _query.fetch_posts(store, [*themes_ids, *activity_ids["id"], *(r["post"] for r in campaign_rows if r["post"]),
                                            *evidence_ids.values()])
    meta = {r["id"]: r for r in frame.filter(pl.col("id").is_in(list(posts_by_id))).to_dicts()}

    def post(pid: str | None) -> Post | None:
        if not pid or pid not in posts_by_id:
            return None
        return Post.from_row({**meta.get(pid, {}), **posts_by_id[pid]})

    themes = _themes(themes_raw, posts_by_id, meta, _query.fetch_embeddings(store, model_id, themes_ids), post, aliases)
    activity = _activity(activity_ids, posts_by_id, post)
    campaigns = [Campaign(r["brand"], _local_day(edges[r["day"]], tz), int(r["positive"]), float(r["baseline"]), post(r["post"]))
                 for r in campaign_rows]
    crises = [_crisis(r, L, lang, config.alerting.bucket_minutes) for r in alert_rows]
    changes = _movements(L, shares, sentiment, campaigns, crises, _launches(activity), names, evidence_ids, post)
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
        responsiveness=_responsiveness(store, config, model_id, current), sla_hours=config.inbox.sla_hours,
    )


def _responsiveness(store: Store, config: ListeningConfig, model_id: str, week: Any) -> list[Responsiveness]:
    """The inbox KPIs of the week, judged once every item of it had its full SLA (so the digest is reproducible)."""
    from listening.inbox import Sla, weekly_kpis

    at = Sla.of(config).deadline(week.end)
    rows = weekly_kpis(store, config, model_id, week.label, now=at)
    if not any(k.needing for k in rows):
        return []
    return [Responsiveness(k.brand, k.own, k.needing, k.answered_share, k.median_hours, k.p90_hours, k.breaches) for k in rows]


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


def _theme_candidates(week: pl.DataFrame) -> pl.DataFrame:
    """Per brand: the week's mention count and its highest-reach mentions (ids), the sample themes are found in."""
    return (week.sort(["brand", "reach", "id"], descending=[False, True, False])
            .group_by("brand", maintain_order=True).agg(total=pl.len(), ids=pl.col("id").head(THEME_SAMPLE)))


def _without_language(x: np.ndarray, langs: Sequence[str], min_members: int = 10) -> np.ndarray:
    """Centre the embeddings per language so clusters form by subject, not by language.

    The encoder's embeddings still carry a language direction (and a direction all texts
    share): uncorrected, a brand's Korean posts cluster together whatever they are about.
    A language with few posts is centred on the overall mean instead: its own mean would be
    its subject, and removing that would scatter a real theme.

    >>> x = np.array([[1.0, 0.0], [1.0, 2.0], [3.0, 0.0], [3.0, 2.0], [2.0, 6.0]])
    >>> _without_language(x, ["ko", "ko", "ja", "ja", "es"], min_members=2).tolist()
    [[0.0, -1.0], [0.0, 1.0], [0.0, -1.0], [0.0, 1.0], [0.0, 4.0]]
    """
    codes = np.asarray(langs)
    out = (x - x.mean(axis=0)).astype(np.float32)
    for lang in set(langs):
        rows = codes == lang
        if rows.sum() >= min_members:
            out[rows] = x[rows] - x[rows].mean(axis=0)
    return out


def _themes(raw: pl.DataFrame, posts: dict[str, dict[str, Any]], meta: dict[str, dict[str, Any]],
            embeddings: Mapping[str, Any], post: Any, aliases: dict[str, list[str]]) -> dict[str, list[Theme]]:
    """Cross-lingual themes per brand: clusters of the sample's embeddings, largest first.

    Mentions of one theme in Korean, Japanese and English share a cluster because the
    encoder is multilingual; where one subject still forms a cluster per language, clusters whose
    members mostly carry the same taxonomy topic are one theme, named by that topic. Other clusters
    are named by their top keywords. Counts are scaled from the sample to the week.
    Keywords are nouns (``listening.nlp.keywords``), without the brand's own names in any
    script: "오르비틀리" says nothing about a theme. A post is quoted at most once per
    digest, also when the same words were posted twice (a comment seen on two sources).
    """
    out: dict[str, list[Theme]] = {}
    quoted_keys: set[str] = set()
    for r in raw.to_dicts():
        ids = [i for i in r["ids"] if i in embeddings and i in posts]
        if len(ids) < 3:
            continue
        texts = [f"{posts[i].get('title') or ''} {posts[i].get('text') or ''}" for i in ids]
        langs = [str(meta.get(i, {}).get("lang") or "") for i in ids]
        found = cluster_themes(_without_language(np.stack([embeddings[i] for i in ids]), langs), texts, langs,
                               k=min(len(ids), max(4, round(math.sqrt(len(ids) / 2)))), n_keywords=12,
                               merge_above=THEME_MERGE)
        names = aliases.get(r["brand"], [r["brand"]])
        brand_words = {w for name in names for lang in ("ko", "ja", "en") for w in keyword_tokens(name, lang)}
        brand_words |= {name.casefold() for name in names}
        text_of, themes = dict(zip(ids, texts)), []
        for topic, group in _by_topic(found, ids, meta):
            members = [ids[j] for theme in group for j in theme.members]
            reps = [ids[t.representative] for t in group]
            keywords = [w for w in _interleave([t.keywords for t in group]) if not _names_brand(w, brand_words)]
            if topic:  # the theme is what its name says: posts of other topics in the clusters are not counted or quoted
                members = [m for m in members if meta.get(m, {}).get("topic") == topic]
                reps = [m for m in reps if m in members]
                keywords = _found_in(keywords, [text_of[m] for m in members])
            keywords = keywords[:5]
            share = len(members) / len(ids)
            themes.append((share, topic or ", ".join(keywords[:3]) or OTHER, keywords, [*reps, *(m for m in members if m not in reps)]))
        for share, name, keywords, candidates in sorted(themes, key=lambda t: -t[0])[:THEMES_PER_BRAND]:
            quoted = _quote(post, candidates, quoted_keys, 2)
            out.setdefault(r["brand"], []).append(Theme(r["brand"], name, round(share * r["total"]), share, keywords, quoted))
    return {b: out[b] for b in aliases if b in out}


def _found_in(words: Sequence[str], texts: Sequence[str]) -> list[str]:
    """The words that occur in some text (case-folded): a topic-named theme's keywords come from its own posts.

    >>> _found_in(["アプリ", "公開", "offline"], ["アプリの接続が切れる", "Hub OFFLINE again"])
    ['アプリ', 'offline']
    """
    folded = [t.casefold() for t in texts]
    return [w for w in words if any(w.casefold() in t for t in folded)]


def _by_topic(found: Sequence[TextTheme], ids: Sequence[str], meta: Mapping[str, Mapping[str, Any]]
              ) -> list[tuple[str | None, list[TextTheme]]]:
    """Clusters grouped into themes, largest first: those whose members mostly carry the same taxonomy topic are
    one theme. An outage told in English and in Korean can form two clusters; a reader wants one "outage/bugs"
    theme with both, not the same name twice. A cluster without a majority topic stands alone (named later by
    its keywords).
    """
    groups: dict[str | int, list[TextTheme]] = {}
    for n, theme in enumerate(found):
        votes = Counter(str(meta.get(ids[j], {}).get("topic") or OTHER) for j in theme.members)
        topic, count = votes.most_common(1)[0]
        key: str | int = topic if topic != OTHER and count * 2 > len(theme.members) else n
        groups.setdefault(key, []).append(theme)
    ranked = sorted(groups, key=lambda k: -sum(t.size for t in groups[k]))
    return [(k if isinstance(k, str) else None, groups[k]) for k in ranked]


def _interleave(lists: Sequence[Sequence[str]]) -> list[str]:
    """Each list's first item, then each one's second, ...; without repeats.

    >>> _interleave([["app", "offline", "fix"], ["스마트홈", "offline"]])
    ['app', '스마트홈', 'offline', 'fix']
    """
    ranked = [xs[i] for i in range(max(map(len, lists), default=0)) for xs in lists if i < len(xs)]
    return list(dict.fromkeys(ranked))


def _names_brand(word: str, brand_words: set[str]) -> bool:
    """Whether a keyword is, or (in Korean or Japanese, written without spaces) is built on, one of the
    brand's names: 케스트럴홈 is, 스마트홈 is not."""
    return word in brand_words or (not word.isascii() and any(len(b) >= 2 and not b.isascii() and b in word for b in brand_words))


def _quote(post: Any, candidates: Sequence[str], seen: set[str], limit: int) -> list[Post]:
    """Up to ``limit`` posts of ``candidates`` (in order) not quoted yet in this digest.

    A post counts as quoted by its id, its link and its words: the same comment under two
    ids must not be shown twice. ``seen`` is updated.
    """
    out: list[Post] = []
    for pid in candidates:
        if len(out) == limit:
            break
        p = post(pid)
        if p is None:
            continue
        keys = {f"id:{p.id}", f"text:{' '.join((p.title + ' ' + p.text).split()).casefold()}"} | ({f"url:{p.url}"} if p.url else set())
        if keys & seen:
            continue
        seen |= keys
        out.append(p)
    return out


def _competitor_posts(week: pl.DataFrame, own: set[str]) -> pl.DataFrame:
    """Candidates for competitor activity: their own posts this week, newest first, a bounded number per brand."""
    return (week.filter(pl.col("is_own") & ~pl.col("brand").is_in(list(own)))
            .sort(["brand", "ts", "id"], descending=[False, True, False])
            .group_by("brand", maintain_order=True).head(ACTIVITY_CANDIDATES).select("brand", "id", "ts"))


def _activity(candidates: pl.DataFrame, posts: dict[str, dict[str, Any]], post: Any) -> list[Activity]:
    """A few posts per competitor, launches and press releases before routine posts, shown newest first.

    A launch early in the week must not be pushed out by the week's later how-to videos.
    """
    picked: dict[str, list[tuple[int, str, str]]] = {}
    for r in candidates.to_dicts():
        picked.setdefault(r["brand"], []).append((-r["ts"], r["id"], _kind(posts.get(r["id"], {}))))
    out = []
    for brand, rows in picked.items():
        top = sorted(rows, key=lambda row: (_KIND_RANK[row[2]], row[0], row[1]))[:ACTIVITY_PER_BRAND]
        out += [Activity(brand, kind, p) for _, pid, kind in sorted(top) if (p := post(pid))]
    return out


def _launches(activity: list[Activity]) -> list[Activity]:
    """Each competitor's first launch post of the week (the launch itself, not the follow-ups)."""
    first: dict[str, Activity] = {}
    for a in activity:
        if a.kind == "launch" and (a.brand not in first or (a.post.published_at, a.post.id) < (first[a.brand].post.published_at, first[a.brand].post.id)):
            first[a.brand] = a
    return sorted(first.values(), key=lambda a: a.brand)


def _kind(row: Mapping[str, Any]) -> str:
    """launch / press / release / update, from the post's title and opening text.

    >>> [_kind({"text": t}) for t in ("App 5.8 is rolling out", "アプリ3.8を配信中", "앱 4.7 업데이트", "Tips for your hub")]
    ['release', 'release', 'release', 'update']
    >>> [_kind({"text": t}) for t in ("Release notes for Hub 2.1", "How our team tests pairing before every release.")]
    ['release', 'update']
    """
    text = f"{row.get('title') or ''} {(row.get('text') or '')[:300]}"
    for kind, pattern in (("press", _PRESS), ("launch", _LAUNCH), ("release", _RELEASE)):
        if pattern.search(text):
            return kind
    return "update"


def _campaign_days(frame: pl.DataFrame, own: set[str], last: int) -> list[dict[str, Any]]:
    """Competitor days this week with at least CAMPAIGN_RATIO x the brand's usual daily positive count.

    "Usual" is the median of the CAMPAIGN_WINDOW days before that day, counted from the first day the
    store has any mention in the window: days before listening started are not quiet days, and a
    median follows a growing backlog (search APIs return only the newest items) without chasing one
    loud day. Days with less than a week of such history get no verdict.
    """
    if not frame.height:
        return []
    first_day, days_total = int(frame["day"].min()), 7 * (last + 1)
    brands = sorted(set(frame["brand"].unique().to_list()) - own)
    positive = frame.filter((pl.col("sentiment") == "positive") & pl.col("brand").is_in(brands))
    counts = positive.group_by("brand", "day").agg(positive=pl.len(), post=pl.col("id").sort_by(["reach", "id"], descending=[True, False]).first())
    grid = pl.DataFrame({"brand": [b for b in brands for _ in range(first_day, days_total)],
                         "day": [d for _ in brands for d in range(first_day, days_total)]}, schema={"brand": pl.String, "day": pl.Int64})
    days = (grid.join(counts, on=["brand", "day"], how="left").with_columns(pl.col("positive").fill_null(0))
            .sort(["brand", "day"])
            .with_columns(baseline=pl.col("positive").shift(1).rolling_median(CAMPAIGN_WINDOW, min_samples=7).over("brand"))
            .filter((pl.col("day") >= 7 * last) & pl.col("baseline").is_not_null() & (pl.col("positive") >= CAMPAIGN_MIN)
                    & (pl.col("positive") >= CAMPAIGN_RATIO * pl.col("baseline").clip(1.0)))
            .with_columns(baseline=pl.col("baseline").cast(pl.Float64))
            .sort(["brand", "day"]))
    return days.to_dicts()


def _evidence_ids(week: pl.DataFrame) -> dict[tuple[str, str], str]:
    """Highest-reach post per brand overall and per sentiment: the links behind each movement."""
    ranked = week.sort(["reach", "id"], descending=[True, False])
    out = {(b, "any"): i for b, i in ranked.group_by("brand", maintain_order=True).agg(pl.col("id").first()).iter_rows()}
    for b, s, i in ranked.group_by("brand", "sentiment", maintain_order=True).agg(pl.col("id").first()).iter_rows():
        out[(b, s)] = i
    return dict(sorted(out.items()))


def _crisis(row: dict[str, Any], L: dict[str, Any], lang: str, bucket_minutes: int) -> Crisis:
    """The episode's peak, duration and total (an alert's own ratio is the resolving bucket's, back to normal).

    Counts are per the bucket the alert was detected with (the config's only for payloads stored without it):
    a later change of ``alerting.bucket_minutes`` must not relabel past alerts.
    """
    alert = row["alert"]
    e = alert.explanation
    posts = [Post.from_row({"id": f"{row['key']}#{i}", "brand": row["brand"], "source": p.source, "lang": p.lang, "url": p.url,
                            "text": p.text, "author": p.author, "reach": p.reach, "sentiment": "negative"})
             for i, p in enumerate(e.representative_posts[:3])]
    return Crisis(row["key"], row["brand"], row["severity"], row["state"], row["opened_at"], row["resolved_at"],
                  float(e.headline_ratio), float(e.headline_count), float(e.headline_baseline), [t for t, _ in e.terms[:5]], posts,
                  peak_at=utc_text(e.peak_at) if e.peak_at else "", bucket_minutes=e.bucket_minutes or bucket_minutes,
                  duration=duration_text(alert.duration, lang) if alert.duration is not None else "",
                  total=int(e.total), languages=list(e.languages), sources=list(e.sources),
                  severity_label=L["severities"].get(alert.severity, alert.severity),
                  state_label=L["states"].get(alert.state, alert.state))


def _movements(L: dict[str, Any], shares: list[BrandShare], sentiment: list[BrandSentiment], campaigns: list[Campaign],
               crises: list[Crisis], launches: list[Activity], names: dict[str, str], evidence: dict[tuple[str, str], str],
               post: Any) -> list[Movement]:
    """The 3-5 largest week-over-week movements, comparable in percentage points; our crises, then competitor launches, lead."""
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
        template = L["move_crisis"] if not c.duration else L["move_crisis_resolved"] if c.total else L["move_crisis_ended"]
        text = template.format(brand=names.get(c.brand, c.brand), severity=c.severity_label or c.severity, ratio=c.ratio,
                               duration=c.duration, total=c.total, since=c.opened_at)
        moves.append(Movement("crisis", c.brand, text, 100.0, c.posts[0] if c.posts else None))
    for a in launches:
        moves.append(Movement("launch", a.brand, L["move_launch"].format(brand=names.get(a.brand, a.brand), day=a.post.published_at[:10],
                              title=a.post.label), 50.0, a.post))
    moves = [m for m in moves if m.magnitude > 0.05]
    return sorted(moves, key=lambda m: (-m.magnitude, m.kind, m.brand))[:5]
