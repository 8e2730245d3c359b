"""What the demo prints at the end: the numbers, then where to look next."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from listening.store import Store, mentions, redact_url, scores


def counts_by(store: Store, *columns: str) -> list[tuple]:
    q = sa.select(*(mentions.c[c] for c in columns), sa.func.count()).group_by(*(mentions.c[c] for c in columns)).order_by(*(mentions.c[c] for c in columns))
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q).all()]


def brand_source_table(store: Store) -> str:
    """Mentions per brand (rows) and source (columns)."""
    rows = counts_by(store, "brand", "source")
    brands = sorted({r[0] for r in rows})
    sources = sorted({r[1] for r in rows})
    cell = {(b, s): n for b, s, n in rows}
    width = max([len("brand")] + [len(b) for b in brands])
    head = f"{'brand':{width}}  " + "  ".join(f"{s:>11}" for s in sources) + f"  {'total':>7}"
    lines = [head, "-" * len(head)]
    for b in brands:
        lines.append(f"{b:{width}}  " + "  ".join(f"{cell.get((b, s), 0):>11}" for s in sources) + f"  {sum(cell.get((b, s), 0) for s in sources):>7}")
    lines.append(f"{'total':{width}}  " + "  ".join(f"{sum(cell.get((b, s), 0) for b in brands):>11}" for s in sources) + f"  {sum(cell.values()):>7}")
    return "\n".join(lines)


def demo_summary(store: Store, *, ui_port: int, dagster_home: str, listening_cmd: str = "listening",
                 digest: tuple[str, Path, Path] | None = None) -> str:
    """``digest``: (week, HTML, Markdown) of the weekly digest the demo built, when it built one."""
    total = store.count(mentions)
    scored = store.count(scores)
    from listening.alerts import SqlRepository, headline

    crises = sorted(SqlRepository(store).recent(limit=5), key=lambda a: a.window_start)
    langs = ", ".join(f"{lang} {n}" for lang, n in counts_by(store, "lang"))
    parts = [
        "",
        f"Stored {total} mentions in {redact_url(str(store.engine.url))}",
        "",
        "Mentions per brand and source:",
        brand_source_table(store),
        "",
        f"Languages: {langs}",
        f"Scored texts (sentiment + topic): {scored}",
    ]
    parts += [f"Crisis alert: {headline(a)}" for a in crises]
    inbox, week = inbox_summary(store)
    parts += inbox
    parts += [
        "",
        "Where to look next:",
        *([f"  {'The open inbox, highest priority first:':45}{listening_cmd} inbox",
           f"  {'Answer speed, own brand vs competitors:':45}{listening_cmd} kpis --week {week}"] if inbox else []),
        f"  Dagster UI (asset graph, metadata, runs):   {listening_cmd} ui --port {ui_port}   then open http://127.0.0.1:{ui_port}",
        *([f"  {'Weekly competitor digest, ' + digest[0] + ':':45}open {digest[1]}   (Markdown: {digest[2]})",
           f"  {'The same digest in Korean:':45}{listening_cmd} digest --week {digest[0]} --lang ko --out {digest[1].parent / 'ko'}"]
          if digest else []),
        f"  Newest mentions in the terminal:             {listening_cmd} mentions --brand orbitly --limit 20",
        f"  Korean mentions of the last week:            {listening_cmd} mentions --lang ko --since 7d",
        *([f"  {'The crisis alert in full:':45}{listening_cmd} alerts show '{crises[-1].key}'"] if crises else []),
        "  Your own brands and feeds:                   copy listening/replay/demo.yaml, edit it, then",
        f"                                               {listening_cmd} config check my.yaml && {listening_cmd} fetch --config my.yaml",
        f"  (Dagster instance: {dagster_home})",
    ]
    return "\n".join(parts)


def inbox_summary(store: Store) -> tuple[list[str], str]:
    """The open inbox's size and SLA states, and last week's responsiveness per brand (empty when no thread was read)."""
    from listening.digest import last_complete_week
    from listening.inbox import items, kpis_table, select, weekly_kpis
    from listening.inbox.cli import load_inbox_config, model_id
    from listening.store import thread_items
    from listening.utc import now

    if not store.count(thread_items):
        return [], ""
    config, at = load_inbox_config(), now()
    own = config.own_brand
    found = select(items(store, config, model_id(), now=at), "open")
    states = {s: sum(it.state == s for it in found) for s in ("breached", "due", "ok")}
    week = last_complete_week(at)
    table = kpis_table(weekly_kpis(store, config, model_id(), week, now=at), {b.key: b.name for b in config.brands})
    widths = {c: max(len(c), *(len(str(r[c])) for r in table)) for c in table[0]}
    lines = ["", f"Inbox ({own.key if own else '-'}): {len(found)} open items need an answer: {states['breached']} past the "
             f"{config.inbox.sla_hours:g} h SLA, {states['due']} due within {config.inbox.remind_hours:g} h, "
             f"{states['ok']} within the SLA",
             f"Responsiveness {week} (the brands' first public reply in their threads):",
             "  " + "  ".join(c.ljust(widths[c]) for c in table[0])]
    lines += ["  " + "  ".join(str(v).ljust(widths[c]) for c, v in r.items()) for r in table]
    return lines, week
