"""Sentiment and topic for every stored mention, scored once per text and model."""

import dagster as dg

from listening.enrich import MIX_DAYS, score_pending
from listening.pipeline import now
from listening.nlp.scoring import get_scorer
from dagster_project.resources import ListeningResource


def _mix_table(mix: dict) -> str:
    lines = ["| | negative | neutral | positive | total |", "|---|---|---|---|---|"]
    for key in sorted(mix):
        c = mix[key]
        total = sum(c.values()) or 1
        lines.append(f"| {key} | " + " | ".join(f"{c.get(s, 0)} ({c.get(s, 0) / total:.0%})" for s in ("negative", "neutral", "positive"))
                     + f" | {sum(c.values())} |")
    return "\n".join(lines)


@dg.asset(group_name="mentions", deps=["mentions"], kinds={"pytorch", "sql"}, pool="scoring",
          description="Sentiment (negative/neutral/positive with probabilities) and topic per mention from the "
          "multilingual encoder + heads; only texts not yet scored by the current model are scored.")
def scored_mentions(context: dg.AssetExecutionContext, listening: ListeningResource) -> dg.MaterializeResult:
    scorer = get_scorer()
    report = score_pending(listening.store(), scorer, now=now(),
                           on_progress=lambda done, total: context.log.info("scored %d/%d texts", done, total))
    return dg.MaterializeResult(metadata={
        "model_id": dg.MetadataValue.text(report.model_id),
        "newly_scored": dg.MetadataValue.int(report.scored),
        "sentiment_by_brand": dg.MetadataValue.md(_mix_table(report.sentiment_by_brand)),
        "sentiment_by_language": dg.MetadataValue.md(_mix_table(report.sentiment_by_lang)),
        "sentiment_window": dg.MetadataValue.text(f"mentions published in the last {MIX_DAYS} days"),
        "topics_this_run": dg.MetadataValue.json(dict(report.topics.most_common())),
    })
