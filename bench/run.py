"""Pipeline benchmark: every stage separately and end to end, at several stream sizes, on this machine.

    .venv/bin/python bench/run.py --sizes 10k,100k --history-sizes 1m   # what docs/performance.md shows
    .venv/bin/python bench/run.py --sizes 10k,100k,1m --no-scoring
    .venv/bin/python bench/run.py --sizes 10k --postgres      # store on postgresql://postgres@127.0.0.1:5432

Each size runs in its own process (so peak RSS is that size's), on a synthetic
stream from ``bench/stream.py`` in the real payload shapes. Stages:

parse            payload bytes -> Mention (feedparser for RSS, JSON for the APIs), the connectors' own mappers
match+dedupe     brand matching, language id, canonical URL / title key / text hash, de-duplication (in memory)
store writes     mention rows upserted in transactions of 1,000 (a scratch store, same engine)
ingest e2e, 2 processes  the same, one source kind per worker, two workers at once (as the multiprocess executor)
ingest e2e       ``run_ingest`` over the same payloads: parse + match + dedupe + existence checks + writes
score (non-model) ``score_new`` (the cycle's scoring) with a stand-in scorer: its first run is a full sweep: pending-text query + score writes for every text
model            ``Scorer.score`` on a sample (``--score-sample``), XLM-R-base stand-in side by side, extrapolated
timeseries       ``rebuild_window`` over all history, and one daily partition
detect (cold)    ``watch``: the first cycle feeds every brand's whole history to its detector
crisis path      one new 15-minute bucket: ingest -> score -> ``watch`` -> decision, at this history size
digest           ``build_digest`` + ``write_digest`` for the stream's last complete week

Results are printed and written between markers in docs/performance.md.
"""

import argparse
import json
import math
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
BEGIN, FINISH = "<!-- bench:begin -->", "<!-- bench:end -->"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BUCKET = timedelta(minutes=15)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from meter import Meter, fresh_store_url  # noqa: E402 - the bench folder is not a package


def parse_size(text: str) -> int:
    """``10k`` -> 10000, ``1m`` -> 1000000."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def shown(result: dict[str, Any]) -> str:
    """A result's size, marked when the store was bulk-filled rather than ingested."""
    return label(result["n"]) + (" (bulk-filled history)" if result.get("prefill") else "")


def run_size(n: int, postgres: str | None, seed: int, prefill: bool = False) -> dict[str, Any]:
    """Every non-model stage at one stream size, in this process.

    ``prefill``: skip ingest and fill the store with bench_digest's fast bulk generator instead (10 weeks,
    five brands, every mention scored), to time the stages that read history (timeseries, detection,
    crisis path, digest) at sizes where ingesting first would not fit the time box.
    """
    from listening.enrich import score_new
    from listening.ingest import attribute, run_ingest
    from listening.language import detect_language
    from listening.normalize import dedupe, keyed
    from listening.store import Store, mention_row, mentions
    from stream import DAYS, END, FakeScorer, bench_config, generate

    config, meter, scorer = bench_config(), Meter(), FakeScorer()
    out: dict[str, Any] = {"n": n, "store": "postgresql" if postgres else "sqlite", "prefill": prefill}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if prefill:
            import bench_digest

            t0 = time.perf_counter()
            bench_digest.generate(tmp / "main.db", n, seed)
            out["generate_s"] = time.perf_counter() - t0
            print(f"[{label(n)} history] bench_digest.generate filled the store with {n:,} scored mentions "
                  f"({out['generate_s']:.1f} s, not timed)", flush=True)
            store = Store.open(f"sqlite:///{tmp / 'main.db'}")
            out.update(stored=n, distinct_texts=n, duplicates=0)
            return _history_stages(out, meter, store, config, bench_digest.END, timedelta(weeks=10), seed, tmp)
        t0 = time.perf_counter()
        stream = generate(n, seed)
        out["generate_s"] = time.perf_counter() - t0
        out["pages"] = stream.pages
        print(f"[{label(n)}] generated {n:,} mentions in {stream.pages:,} payload pages / {len(stream.tasks)} source tasks "
              f"({out['generate_s']:.1f} s, not timed)", flush=True)

        detect_language("warm up the language model")  # a one-off load per process, not a per-mention cost
        with meter.stage("parse", n) as rec:
            fetched = [task.fetch(None, None, now=END) for task in stream.tasks]
            rec["items"] = sum(len(r.mentions) for r in fetched)

        with meter.stage("match+dedupe", rec["items"]) as rec:
            candidates = []
            for task, result in zip(stream.tasks, fetched):
                for m in result.mentions:
                    brands = attribute(m, config, task)
                    if brands:
                        lang = detect_language(f"{m.title}\n{m.text}")
                        m = m.with_(brand=brands[0], query=task.key, lang=lang if lang != "und" else (m.lang or lang))
                        candidates.append((keyed(m), brands))
            kept, dropped = dedupe(k for k, _ in candidates)
            brands_of = {k.mention.id: b for k, b in candidates}
        out["kept"], out["duplicates"] = len(kept), dropped
        del fetched

        with fresh_store_url(tmp, postgres, "scratch") as url, meter.stage("store writes", len(kept)):
            scratch = Store.open(url)
            for start in range(0, len(kept), 1000):
                rows = [mention_row(k.mention, canonical_url=k.canonical_url, title_key=k.title_key, text_hash=k.text_hash,
                                    brands=brands_of[k.mention.id]) for k in kept[start : start + 1000]]
                with scratch.transaction() as conn:
                    scratch.upsert(conn, mentions, rows, update=("likes",))
            scratch.engine.dispose()
        del candidates, kept, brands_of

        with fresh_store_url(tmp, postgres, "parallel") as url, meter.stage("ingest e2e, 2 processes", n) as rec:
            rec["stored"] = ingest_in_processes(url, stream.tasks, END, processes=2)
        out["stored_2_processes"] = rec["stored"]

        with fresh_store_url(tmp, postgres, "main") as url:
            store = Store.open(url)
            with meter.stage("ingest e2e", n) as rec:
                report = run_ingest(config, store, None, tasks=stream.tasks, now=lambda: END)
            out["stored"] = store.count(mentions)
            out["failed_tasks"] = len(report.failed)
            del stream

            with meter.stage("score (non-model)") as rec:
                rec["items"] = score_new(store, scorer, now=END)[0].scored
            out["distinct_texts"] = rec["items"]

            return _history_stages(out, meter, store, config, END, timedelta(days=DAYS), seed, tmp)


_TASKS: list[Any] = []  # set before forking, so workers inherit the payloads instead of receiving them pickled


def _ingest_kind(job: tuple[str, str, datetime]) -> int:
    from listening.ingest import run_ingest
    from listening.store import Store
    from stream import bench_config

    url, kind, end = job
    tasks = [t for t in _TASKS if t.source == kind]
    return run_ingest(bench_config(), Store.open(url), None, tasks=tasks, now=lambda: end).new


def ingest_in_processes(url: str, tasks: list[Any], end: datetime, processes: int) -> int:
    """``run_ingest`` per source kind, ``processes`` at a time: what the multiprocess executor does with
    the ``<source>_mentions`` steps (``max_concurrent: 2`` in deploy/run-config-multiprocess.yaml)."""
    from listening.store import Store, mentions

    global _TASKS
    _TASKS = tasks
    store = Store.open(url)  # the schema exists before the workers race to create it
    kinds = sorted({t.source for t in tasks}, key=lambda k: -sum(t.source == k for t in tasks))
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        list(pool.imap_unordered(_ingest_kind, [(url, kind, end) for kind in kinds]))
    stored = store.count(mentions)
    store.engine.dispose()
    return stored


def _history_stages(out: dict[str, Any], meter: "Meter", store: Any, config: Any, end: datetime, span: timedelta,
                    seed: int, tmp: Path) -> dict[str, Any]:
    """Stages that read the stored history: timeseries, cold detection, the crisis path, the digest."""
    from listening.digest import build_digest, last_complete_week, write_digest
    from listening.enrich import score_new
    from listening.ingest import run_ingest
    from listening.timeseries import rebuild_window
    from listening.watch import watch
    from stream import FakeScorer, generate

    scorer, n = FakeScorer(), out["n"]
    first = end - span
    with meter.stage("timeseries (all)", out["stored"]) as rec:
        rec["rows"] = rebuild_window(store, first, end).height
    with meter.stage("timeseries (1 day)", out["stored"] // span.days) as rec:
        rec["rows"] = rebuild_window(store, end - timedelta(days=1), end).height

    with meter.stage("detect (cold)", out["stored"]) as rec:
        cold = watch(config, store, scorer.model_id, now=end)
        rec["buckets"] = sum(cold.buckets_fed.values())
        rec["alerts"] = len(cold.changed)

    if out.get("prefill"):  # the cycle's first scoring run: a full sweep that sets its watermark (not timed)
        score_new(store, scorer, now=end)
    store.refresh_statistics()  # what the previous cycle's last step (data_retention) leaves behind
    per_bucket = max(50, round(n / (span.days * 96)) * 2)
    steps = []
    for i in range(3):
        new = generate(per_bucket, seed + 1000 + i, start=end + i * BUCKET, days=BUCKET.total_seconds() / 86400,
                       bursts=0, key_prefix=f"inc{i}-")
        step: dict[str, float] = {}
        t = time.perf_counter()
        run_ingest(config, store, None, tasks=new.tasks, now=lambda: end + (i + 1) * BUCKET)
        step["ingest_s"] = time.perf_counter() - t
        t = time.perf_counter()
        step["texts"] = score_new(store, scorer, now=end + (i + 1) * BUCKET)[0].scored
        step["score_s"] = time.perf_counter() - t
        t = time.perf_counter()
        fed = watch(config, store, scorer.model_id, now=end + (i + 1) * BUCKET)
        step["watch_s"] = time.perf_counter() - t
        step["buckets"] = sum(fed.buckets_fed.values())
        steps.append(step)
    out["crisis_path"] = {"bucket_mentions": per_bucket, "history": out["stored"], "steps": steps,
                          **{k: statistics.median(s[k] for s in steps) for k in ("ingest_s", "score_s", "watch_s", "texts")}}
    cp = out["crisis_path"]
    print(f"  {'crisis path (median)':<22} {per_bucket:>9,} new    ingest {cp['ingest_s']:.2f} s, score {cp['score_s']:.2f} s, "
          f"watch {cp['watch_s']:.2f} s (history {out['stored']:,})", flush=True)

    week = last_complete_week(end + timedelta(hours=1))
    with meter.stage("digest") as rec:
        digest = build_digest(store, config, week, scorer.model_id)
        write_digest(digest, tmp / "digest")
        rec["items"] = digest.methodology.total_mentions
    out["week"] = week
    store.engine.dispose()
    out["stages"] = meter.stages
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_scoring(sample: int, xlmr_sample: int, threads: int, seed: int) -> dict[str, Any]:
    """The model on the stream's own texts, with the XLM-R-base stand-in from bench_scoring timed in the same slices."""
    import torch

    from bench_scoring import _xlmr_base_backend
    from listening.nlp.scoring import Scorer
    from listening.normalize import scoring_text
    from stream import END, generate

    torch.set_num_threads(threads)
    stream = generate(int(sample * 1.2), seed)
    texts = list(dict.fromkeys(scoring_text(m.title, m.text) for t in stream.tasks for m in t.fetch(None, None, now=END).mentions))
    texts = texts[:sample]
    t0 = time.perf_counter()
    scorer = Scorer.load(threads=threads)
    load_s = time.perf_counter() - t0
    scorer.score(texts[:64])
    scorer_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    bf16 = bool(getattr(scorer.backend.encoder, "bf16", False))
    xlmr = _xlmr_base_backend(scorer.backend.encoder.tokenizer, bf16)
    xlmr.forward(texts[:32], 32)
    spent = {"scorer": 0.0, "xlmr": 0.0}
    chunk, xlmr_done = 250, 0
    for start in range(0, len(texts), chunk):  # interleaved, so other load on the machine hits both alike
        t = time.perf_counter()
        scorer.score(texts[start : start + chunk])
        spent["scorer"] += time.perf_counter() - t
        if xlmr_done < xlmr_sample:
            part = texts[start : start + min(chunk, xlmr_sample - xlmr_done)]
            t = time.perf_counter()
            xlmr.forward(part, 32)
            spent["xlmr"] += time.perf_counter() - t
            xlmr_done += len(part)
    return {"model_id": scorer.model_id, "texts": len(texts), "threads": threads, "load_s": load_s,
            "per_s": len(texts) / spent["scorer"], "xlmr_texts": xlmr_done, "xlmr_per_s": xlmr_done / spent["xlmr"],
            "scorer_rss_mb": scorer_rss, "mean_chars": sum(map(len, texts)) / len(texts),
            "precision": "bf16 weights" if bf16 else "fp32"}


def _child(args: list[str]) -> dict[str, Any]:
    """Run one phase in a fresh interpreter (peak RSS per size, no allocator leftovers) and read its JSON."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = Path(f.name)
    try:
        subprocess.run([sys.executable, __file__, *args, "--json", str(path)], check=True)
        return json.loads(path.read_text())
    finally:
        path.unlink(missing_ok=True)


def _growth(a: dict[str, Any], b: dict[str, Any], stage: str) -> str:
    sa, sb = a["stages"].get(stage), b["stages"].get(stage)
    if not sa or not sb or sa["wall_s"] <= 0 or not sa["items"] or not sb["items"]:
        return "—"
    return f"{math.log(sb['wall_s'] / sa['wall_s']) / math.log(sb['items'] / sa['items']):.2f}"


def report(results: list[dict[str, Any]], scoring: dict[str, Any] | None, meta: dict[str, Any]) -> str:
    """The Markdown results section (also printed)."""
    lines = [f"Measured {meta['date']} with `{meta['command']}` on {meta['cpus']} CPUs "
             f"({meta['cpu_model']}), load average {meta['load_before']} before and {meta['load_after']} after "
             f"(the machine was shared with other jobs); store: {results[0]['store'] if results else '—'}.", ""]
    if scoring:
        lines += [f"**Model** (`{scoring['model_id']}`, {scoring['threads']} threads, {scoring['texts']:,} stream texts, "
                  f"mean {scoring['mean_chars']:.0f} characters, both models in {scoring.get('precision', 'fp32')}): "
                  f"**{scoring['per_s']:.0f} texts/s**, peak RSS "
                  f"{scoring['scorer_rss_mb']:.0f} MB, load {scoring['load_s']:.1f} s. XLM-R-base-sized classifier in the same "
                  f"slices ({scoring['xlmr_texts']:,} texts): {scoring['xlmr_per_s']:.1f} texts/s "
                  f"({scoring['per_s'] / scoring['xlmr_per_s']:.1f}x slower than ours).", ""]
    lines += ["| size | stage | items | wall s | items/s | peak RSS MB |", "|---|---|---:|---:|---:|---:|"]
    for r in results:
        for name, s in r["stages"].items():
            rate = f"{s['per_s']:,.0f}" if s["per_s"] else "—"
            lines.append(f"| {shown(r)} | {name} | {s['items']:,} | {s['wall_s']:.2f} | {rate} | {s['peak_rss_mb']:.0f} |")
        if scoring and not r.get("prefill"):
            model_s = r["distinct_texts"] / scoring["per_s"]
            lines.append(f"| {label(r['n'])} | model (**extrapolated** from {scoring['texts']:,} texts) | {r['distinct_texts']:,} "
                         f"| {model_s:,.0f} | {scoring['per_s']:.0f} | {scoring['scorer_rss_mb']:.0f} |")
    lines += ["", "End to end (raw payloads → stored, scored, bucketed, detected, digested):", "",
              "| size | stored | duplicates dropped | non-model e2e s | non-model mentions/s | same, ingest in 2 processes "
              "| stored by 2 processes | with model s (extrapolated) | process peak RSS MB |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in (r for r in results if not r.get("prefill")):
        st = r["stages"]
        rest = sum(st[k]["wall_s"] for k in ("score (non-model)", "timeseries (all)", "detect (cold)", "digest"))
        e2e, e2e_2 = rest + st["ingest e2e"]["wall_s"], rest + st["ingest e2e, 2 processes"]["wall_s"]
        model = f"{e2e + r['distinct_texts'] / scoring['per_s']:,.0f}" if scoring else "—"
        lines.append(f"| {label(r['n'])} | {r['stored']:,} | {r['duplicates']:,} | {e2e:.1f} | {r['n'] / e2e:,.0f} "
                     f"| {e2e_2:.1f} s, {r['n'] / e2e_2:,.0f}/s | {r['stored_2_processes']:,} | {model} | {r['peak_rss_mb']:.0f} |")
    lines += ["", "Crisis path — one new 15-minute bucket → decision, median of 3 consecutive buckets:", "",
              "| history (mentions) | new mentions | ingest s | score writes s | model s (extrapolated) | watch s | total s |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        cp = r["crisis_path"]
        model_s = cp["texts"] / scoring["per_s"] if scoring else 0.0
        total = cp["ingest_s"] + cp["score_s"] + model_s + cp["watch_s"]
        lines.append(f"| {cp['history']:,}{' (bulk-filled)' if r.get('prefill') else ''} | {cp['bucket_mentions']} | {cp['ingest_s']:.2f} | {cp['score_s']:.2f} | "
                     f"{model_s:.2f} | {cp['watch_s']:.2f} | {total:.2f} |")
    pairs = [(a, b) for kind in (False, True) for same in [[r for r in results if bool(r.get("prefill")) == kind]]
             for a, b in zip(same, same[1:])]
    if pairs:
        lines += ["", "Growth exponent k in time ∝ size^k between consecutive sizes (1 = linear):", "",
                  "| stage | " + " | ".join(f"{shown(a)}→{shown(b)}" for a, b in pairs) + " |",
                  "|---|" + "---:|" * len(pairs)]
        for stage in dict.fromkeys(k for r in results for k in r["stages"]):
            lines.append(f"| {stage} | " + " | ".join(_growth(a, b, stage) for a, b in pairs) + " |")
    return "\n".join(lines)


def write_doc(section: str) -> None:
    """Replace the generated section of docs/performance.md, keeping the hand-written text around it."""
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{BEGIN}\n{FINISH}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{FINISH}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(FINISH, 1)[1] if FINISH in rest else ""
    DOC.write_text(f"{head}{BEGIN}\n{section}\n{FINISH}{tail}")


def _cpu_model() -> str:
    try:
        return next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,100k", help="stream sizes, e.g. 10k,100k,1m (default 10k,100k)")
    parser.add_argument("--history-sizes", default="", help="sizes (e.g. 1m) whose store is bulk-filled by bench_digest.generate "
                        "instead of ingested: times timeseries, detection, the crisis path and the digest on that much history")
    parser.add_argument("--prefill", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None, metavar="ADMIN_URL",
                        help=f"store on PostgreSQL: a fresh database per run on this server (default {DEFAULT_PG})")
    parser.add_argument("--score-sample", type=int, default=2000, help="texts the model really scores (default 2000)")
    parser.add_argument("--xlmr-sample", type=int, default=250, help="texts for the XLM-R-base stand-in (default 250)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-scoring", action="store_true", help="skip the model (non-model stages only)")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/performance.md alone")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scoring-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one or args.scoring_only:
        result = run_size(args.one, args.postgres, args.seed, args.prefill) if args.one else run_scoring(args.score_sample, args.xlmr_sample, args.threads, args.seed)
        args.json.write_text(json.dumps(result, default=str))
        return

    load_before = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    passthrough = ["--seed", str(args.seed)] + (["--postgres", args.postgres] if args.postgres else [])
    results = [_child(["--one", str(n), *passthrough]) for n in sizes]
    history = [parse_size(s) for s in args.history_sizes.split(",") if s.strip()]
    results += [_child(["--one", str(n), "--prefill", "--seed", str(args.seed)]) for n in history]
    results.sort(key=lambda r: (r["n"], bool(r.get("prefill"))))
    scoring = None
    if not args.no_scoring:
        print(f"model: scoring {args.score_sample:,} stream texts ({args.threads} threads), XLM-R-base stand-in on {args.xlmr_sample}", flush=True)
        scoring = _child(["--scoring-only", "--score-sample", str(args.score_sample), "--xlmr-sample", str(args.xlmr_sample),
                          "--threads", str(args.threads), "--seed", str(args.seed)])
    command = "python bench/run.py " + " ".join(sys.argv[1:])
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "command": command.strip(), "cpus": os.cpu_count(),
            "cpu_model": _cpu_model(), "load_before": load_before, "load_after": " / ".join(f"{x:.1f}" for x in os.getloadavg())}
    section = report(results, scoring, meta)
    print("\n" + section)
    if not args.no_doc:
        write_doc(section)
        print(f"\nwrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
