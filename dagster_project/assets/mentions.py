"""The consolidated mention store as analysts see it."""


import dagster as dg

from listening.render import mentions_markdown
from listening.report import brand_source_table, counts_by
from listening.sources.plan import SOURCE_KINDS
from dagster_project.partitions import brands
from dagster_project.resources import ListeningResource


@dg.asset(group_name="mentions", deps=[f"{kind}_mentions" for kind in SOURCE_KINDS], kinds={"sql"},
          description="Every stored mention, matched to a brand, language-tagged and de-duplicated across sources "
          "(native id, canonical URL, normalised title).")
def mentions(context: dg.AssetExecutionContext, listening: ListeningResource) -> dg.MaterializeResult:
    store = listening.store()
    by_brand = dict(counts_by(store, "brand"))
    total = sum(by_brand.values())
    new_brands = sorted(set(by_brand) - set(context.instance.get_dynamic_partitions(brands.name)))
    if new_brands:  # so brand_day_scores can be backfilled for them
        context.instance.add_dynamic_partitions(brands.name, new_brands)
    return dg.MaterializeResult(metadata={
        "total_mentions": dg.MetadataValue.int(total),
        "by_brand": dg.MetadataValue.json(by_brand),
        "by_language": dg.MetadataValue.json({lang: n for lang, n in counts_by(store, "lang")}),
        "brand_x_source": dg.MetadataValue.md(f"```\n{brand_source_table(store)}\n```"),
        "newest": dg.MetadataValue.md(mentions_markdown(store.mention_frame_rows(limit=15), limit=15)),
    })
