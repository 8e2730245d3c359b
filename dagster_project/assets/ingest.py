"""One asset per source kind: fetch, match, de-duplicate and store mentions."""


import dagster as dg

from listening.ingest import run_ingest
from listening.render import clean, md_escape, mentions_markdown
from listening.sources.plan import SOURCE_KINDS
from dagster_project.resources import ClockResource, ListeningResource
from listening.tables import counts_table
from dagster_project.tables import table

DESCRIPTIONS = {
    "rss": "Company blogs, press rooms and release feeds (RSS/Atom) of the brands in the config.",
    "google_news": "Google News RSS searches per brand query and locale (ko/ja/en).",
    "hackernews": "Hacker News stories and comments via the Algolia search_by_date API.",
    "youtube": "YouTube channel feeds of the brands (views and likes kept for reach).",
    "mastodon": "Mastodon hashtag timelines and own/competitor account statuses (favourites, boosts, followers).",
    "bluesky": "Bluesky author feeds of own/competitor accounts; post search when an app password is set.",
    "gdelt": "GDELT DOC 2.0 article lists for the brand queries (at most one request per 5 s).",
    "appstore": "Apple App Store customer reviews with star ratings, per country.",
    "hatena": "Hatena Bookmark search (Japanese) with bookmark counts.",
    "naver": "Naver news/blog/cafe search (Korean), when Naver API keys are set.",
    "reddit": "Reddit search and subreddit feeds (Atom; OAuth JSON when a client id is set).",
}


def _source_asset(kind: str) -> dg.AssetsDefinition:
    @dg.asset(name=f"{kind}_mentions", group_name="ingest", description=DESCRIPTIONS[kind], kinds={"python", "sql"},
              retry_policy=dg.RetryPolicy(max_retries=2, delay=10, jitter=dg.Jitter.PLUS_MINUS))
    def source_mentions(context: dg.AssetExecutionContext, listening: ListeningResource,
                        clock: ClockResource) -> dg.MaterializeResult:
        with listening.session() as s:
            report = run_ingest(s.config, s.store, s.client, sources=[kind], now=clock.now)
        for task in report.failed:
            context.log.warning("source task %s failed: %s", task.key, task.error)
        return dg.MaterializeResult(metadata={
            "new_mentions": dg.MetadataValue.int(report.new),
            "source_tasks": dg.MetadataValue.int(len(report.tasks)),
            "failed_tasks": dg.MetadataValue.int(len(report.failed)),
            "not_modified": dg.MetadataValue.int(sum(t.not_modified for t in report.tasks)),
            "skipped_items": dg.MetadataValue.int(sum(t.skipped for t in report.tasks)),
            "duplicates_dropped": dg.MetadataValue.int(sum(t.duplicates for t in report.tasks)),
            "new_by_brand": table(counts_table(dict(report.new_by_brand), "brand", "new mentions")),
            "tasks": dg.MetadataValue.md(_task_table(report.tasks)),
            "newest": dg.MetadataValue.md(mentions_markdown([vars_of(m) for m in report.newest])),
        })

    return source_mentions


def vars_of(m) -> dict:
    return {"title": m.title, "text": m.text, "url": m.url, "published_at": m.published_at, "brand": m.brand, "source": m.source, "lang": m.lang}


def _task_table(tasks) -> str:
    lines = ["| source task | brand | fetched | new | duplicates | unmatched | skipped | status |", "|---|---|---|---|---|---|---|---|"]
    for t in tasks:
        # Errors can quote what a source sent (URLs, titles): shown like any other text from the web.
        status = "error: " + md_escape(clean(t.error, 120)) if t.error else ("304 not modified" if t.not_modified else "ok")
        lines.append(f"| `{t.key[:80]}` | {t.brand or ''} | {t.fetched} | {t.new} | {t.duplicates} | {t.unmatched} | {t.skipped} | {status} |")
    return "\n".join(lines)


source_assets = [_source_asset(kind) for kind in SOURCE_KINDS]
