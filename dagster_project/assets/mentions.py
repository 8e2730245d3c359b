"""The consolidated mention store as analysts see it."""


import dagster as dg

from listening.render import mentions_markdown
from listening.report import brand_source_table, counts_by
from listening.sources.plan import SOURCE_KINDS
from dagster_project.resources import ListeningResource


@dg.asset(group_name="mentions", deps=[f"{kind}_mentions" for kind in SOURCE_KINDS], kinds={"sql"},
          description="Every stored mention, matched to a brand, language-tagged and de-duplicated across sources "
          "(native id, canonical URL, normalised title).")
def mentions(listening: ListeningResource) -> dg.MaterializeResult:
    store = listening.store()
    total = sum(n for *_, n in counts_by(store, "brand"))
    return dg.MaterializeResult(metadata={
        "total_mentions": dg.MetadataValue.int(total),
        "by_brand": dg.MetadataValue.json({b: n for b, n in counts_by(store, "brand")}),
        "by_language": dg.MetadataValue.json({lang: n for lang, n in counts_by(store, "lang")}),
        "brand_x_source": dg.MetadataValue.md(f"```\n{brand_source_table(store)}\n```"),
        "newest": dg.MetadataValue.md(mentions_markdown(store.mention_frame_rows(limit=15), limit=15)),
    })
