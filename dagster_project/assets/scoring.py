"""Sentiment and topic for every stored mention, scored once per text and model."""

import dagster as dg

from listening.enrich import FETCH_LAG, MIX_DAYS, EnrichReport, Slice, score_new, score_pending
from dagster_project.partitions import brand_day
from dagster_project.resources import ClockResource, ListeningResource, ModelResource
from listening.tables import counts_table, recent_watchlist, sentiment_mix
from dagster_project.tables import table

WATCH_PER_BRAND = 5


def _evidence(report: EnrichReport, window: str, looked_at: str) -> dict[str, dg.MetadataValue]:
    return {
        "model_id": dg.MetadataValue.text(report.model_id),
        "newly_scored": dg.MetadataValue.int(report.scored),
        "looked_at": dg.MetadataValue.text(looked_at),
        "sentiment_by_brand": table(sentiment_mix(report.sentiment_by_brand, "brand")),
        "sentiment_by_language": table(sentiment_mix(report.sentiment_by_lang, "lang")),
        "sentiment_window": dg.MetadataValue.text(window),
        "topics_this_run": table(counts_table(report.topics, "topic", "texts")),
    }


# No pool: the cycle never overlaps itself (one listening_cycle run at a time), and a backfill holding every
# `scoring` slot must not hold up the next crisis check.
@dg.asset(group_name="mentions", deps=["mentions"], kinds={"pytorch", "sql"},
          description="Sentiment (negative/neutral/positive with probabilities) and topic per mention from the "
          "multilingual encoder + heads; only texts not yet scored by the current model are scored, among the "
          "mentions fetched since the previous run (every mention on a model's first run and once a day). Metadata: per "
          f"brand, the most negative and the highest-reach mentions of the last {MIX_DAYS} days (own posts left out).")
def scored_mentions(context: dg.AssetExecutionContext, listening: ListeningResource, model: ModelResource,
                    clock: ClockResource) -> dg.MaterializeResult:
    store, at = listening.store(), clock.now()
    report, full = score_new(store, model.scorer(), now=at,
                             on_progress=lambda done, total: context.log.info("scored %d/%d texts", done, total))
    looked_at = ("every stored mention (first run of this model, or the daily sweep)" if full
                 else f"mentions fetched since the previous run, less {FETCH_LAG}")
    watch = {f"{brand}: {title} ({MIX_DAYS} days)": table(lists[key])
             for brand, lists in recent_watchlist(store, at, MIX_DAYS, WATCH_PER_BRAND).items()
             for key, title in (("most_negative", "most negative"), ("highest_reach", "highest reach"))}
    return dg.MaterializeResult(metadata={**_evidence(report, f"mentions published in the last {MIX_DAYS} days", looked_at),
                                          **watch})


@dg.asset(group_name="scoring", deps=["mentions"], kinds={"pytorch", "sql"}, pool="scoring", partitions_def=brand_day,
          description="Scores for one brand's mentions published on one day (brand × day partitions). Backfill a "
          "range to score history in parallel, e.g. after switching models: the `scoring` pool caps how many "
          "partitions score at once; texts already scored by the current model are skipped.")
def brand_day_scores(context: dg.AssetExecutionContext, listening: ListeningResource, model: ModelResource,
                     clock: ClockResource) -> dg.MaterializeResult:
    key = context.partition_key.keys_by_dimension
    window = context.partition_time_window
    where = Slice(brand=key["brand"], since=window.start, until=window.end)
    report = score_pending(listening.store(), model.scorer(), where=where, now=clock.now(),
                           on_progress=lambda done, total: context.log.info("scored %d/%d texts", done, total))
    return dg.MaterializeResult(metadata=_evidence(
        report, f"{key['brand']}, published {window.start:%Y-%m-%d} (UTC)", "this brand's mentions of this day"))
