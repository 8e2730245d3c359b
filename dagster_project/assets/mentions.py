"""The consolidated mention store as analysts see it."""


import dagster as dg

from listening.report import counts_by
from listening.sources.plan import SOURCE_KINDS
from listening.store import browse_mentions
from listening.tables import counts_table, crosstab, mention_table
from dagster_project.partitions import brands
from dagster_project.resources import ListeningResource
from dagster_project.tables import table


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
        "by_brand": table(counts_table(by_brand, "brand")),
        "by_language": table(counts_table(counts_by(store, "lang"), "lang")),
        "brand_x_source": table(crosstab(counts_by(store, "brand", "source"), "brand", "source")),
        "newest": table(mention_table(browse_mentions(store, limit=15), brand=True).drop("sentiment", "p", "topic")),
    })
