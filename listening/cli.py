"""The ``listening`` command line.

Every subcommand has ``--help``. User mistakes (bad config, bad input file,
unreachable database) end with one clear line on stderr and a non-zero exit
code, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from listening import __version__
from listening.errors import InputError, ListeningError
from listening.sanitize import strip_invisible
from listening.utc import as_utc, now


def _config_path(args: argparse.Namespace) -> Path | None:
    value = getattr(args, "config", None) or os.environ.get("LISTENING_CONFIG")
    return Path(value) if value else None


_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _duration(value: str) -> timedelta | None:
    """``6h``, ``3d``, ``2w`` … as a timedelta; ``None`` for anything else (an absolute time)."""
    if value[:-1].isdigit() and value[-1:] in _UNITS:
        return timedelta(**{_UNITS[value[-1]]: int(value[:-1])})
    return None


def _parse_time(value: str) -> datetime:
    """Accept ISO-8601 or a relative age like ``6h`` / ``3d``."""
    age = _duration(value)
    if age is not None:
        return now() - age
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time: {value!r} (use ISO-8601 like 2026-11-20T09:00 or an age like 6h, 3d)") from None
    return as_utc(parsed)


def cmd_config_check(args: argparse.Namespace) -> int:
    from listening.configcheck import check_config

    report = check_config(args.file)
    for note in report.notes:
        print(f"{args.file}: note: {note}", file=sys.stderr)
    for warning in report.warnings:
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    brands = report.config.brands
    print(f"{args.file}: OK — {len(brands)} brands ({', '.join(b.key for b in brands)}), {report.tasks} source tasks"
          + (f", {len(report.warnings)} warning(s)" if report.warnings else ""))
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from listening.pipeline import open_config, open_store, run_fetch
    from listening.sources.plan import SOURCE_KINDS

    unknown = sorted(set(args.source or ()) - set(SOURCE_KINDS))
    if unknown:
        raise InputError(f"--source: unknown kind(s) {', '.join(unknown)}; known: {', '.join(SOURCE_KINDS)}")
    with open_config(_config_path(args)) as config:
        store = open_store()
        report = run_fetch(config, store, sources=args.source or None, progress=not args.quiet)
    print(f"{report.new} new mentions from {len(report.tasks)} source tasks; {len(report.failed)} failed")
    for t in report.failed:
        print(strip_invisible(f"  failed: {t.source} {t.key}: {t.error}", keep=""), file=sys.stderr)
    return 0 if len(report.failed) < len(report.tasks) or not report.tasks else 1


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _reach_floor(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {number}")
    return number


def cmd_mentions(args: argparse.Namespace) -> int:
    from listening.export import write_mentions
    from listening.pipeline import open_store
    from listening.render import mentions_lines
    from listening.store import MentionFilter, browse_mentions

    if args.format == "parquet" and args.output is None:
        raise InputError("--format parquet writes a binary file: name it with --output FILE")
    where = MentionFilter(brand=args.brand, source=args.source, lang=args.lang, since=args.since, until=args.until,
                          sentiment=args.sentiment, topic=args.topic, min_reach=args.min_reach, text=args.text, own=args.own)
    limit = args.limit if args.limit is not None else (20 if args.format == "table" else None)
    rows = browse_mentions(open_store(), where, limit)
    if args.format != "table":
        n = write_mentions(rows, args.format, args.output if args.output else sys.stdout.buffer)
        if args.output:
            print(f"{n} mention(s) written to {args.output}", file=sys.stderr)
        return 0
    if not rows:
        print("no mentions match (widen the filters or --since, or run `listening demo` / `listening fetch` first)", file=sys.stderr)
        return 0
    lines = mentions_lines(rows, width=args.width)
    if args.output:
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{len(rows)} mention(s) written to {args.output}", file=sys.stderr)
        return 0
    for line in lines:
        print(line)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from listening.pipeline import run_demo

    return run_demo(port=args.ui_port, skip_scoring=args.no_scoring)


def cmd_ui(args: argparse.Namespace) -> int:
    from listening.pipeline import dagster_env

    env = dagster_env()
    beside = Path(sys.executable).parent / "dagster"
    dagster = str(beside) if beside.exists() else "dagster"
    argv = [dagster, "dev", "-m", "dagster_project.definitions", "-h", args.host, "-p", str(args.port)]
    print(f"Dagster UI on http://{args.host}:{args.port} (Ctrl-C to stop); DAGSTER_HOME={env['DAGSTER_HOME']}")
    os.execvpe(argv[0], argv, env)
    return 0


def cmd_detect_spikes(args: argparse.Namespace) -> int:
    from listening.crisis import detect_spikes_csv

    n = detect_spikes_csv(Path(args.input), Path(args.output))
    print(f"{n} alert(s) written to {args.output}")
    return 0


def cmd_reach_changes(args: argparse.Namespace) -> int:
    from listening.reach import reach_changes_csv

    n = reach_changes_csv(Path(args.input), Path(args.output))
    print(f"{n} reach change(s) written to {args.output}")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from listening.digest import digest_command

    files = digest_command(args.week, args.lang, args.out, _config_path(args))
    said = {"none": "wrote", "same": "rewrote (unchanged)", "different": "replaced (the store changed since it was written)"}
    print(f"{said[files.previous]} {files.html} (Markdown and charts beside it)")
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from listening.alerts import SqlRepository, alerts_table, describe_markdown
    from listening.pipeline import open_store
    from listening.render import clean

    repo = SqlRepository(open_store())
    if getattr(args, "alerts_command", None) == "show":
        alert = repo.get_alert(args.key)
        if alert is None:
            raise InputError(f"no alert with key {args.key!r}; `listening alerts` lists the stored ones")
        print(describe_markdown(alert, escape=lambda s: clean(s, 300)))
        return 0
    found = repo.recent(brand=args.brand, state=args.state, since=args.since, limit=args.limit)
    print(alerts_table(found, escape=lambda s: clean(s, 60)) if found else "no crisis alerts match")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from listening.store import Store

    store = Store.open(create=False)
    done = store.upgrade()
    where = f"store {store.engine.url.render_as_string(hide_password=True)}"
    if not done.changed:
        print(f"{where}: already at {done.after}")
        return 0
    found = {None: "new" if not done.adopted else "made before migrations; stamped 0001"}.get(done.before, f"at {done.before}")
    said = [found, f"applied {', '.join(done.applied)}" if done.applied else "no revision to apply", f"now at {done.after}"]
    if done.created:
        said.append(f"created tables: {', '.join(done.created)}")
    print(f"{where}: {', '.join(said)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="listening",
        description="Brand and competitor listening on public data: fetch mentions, score sentiment and topics, "
        "detect crises, track reach, write a weekly digest.",
    )
    parser.add_argument("--version", action="version", version=f"listening {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log HTTP and pipeline details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("demo", help="run the whole pipeline on the offline replay (SQLite, bundled model) and say where to look next",
                       description="Starts the bundled replay of recorded public feeds on 127.0.0.1, runs the main Dagster job "
                       "(ingest, score, timeseries, crisis detection) into $LISTENING_HOME (default ./.listening) and prints "
                       "mentions per brand and source.")
    p.add_argument("--ui-port", type=int, default=3000, help="port to suggest for the Dagster UI (default 3000)")
    p.add_argument("--no-scoring", action="store_true", help="skip the sentiment model (faster; for a quick look at ingestion)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("fetch", help="fetch mentions once from the sources in the config",
                       description="Fetches every source task of the config once and stores new mentions. "
                       "Without --config (or $LISTENING_CONFIG) the offline demo replay is used.")
    p.add_argument("--config", help="listening config YAML (default: $LISTENING_CONFIG, else the demo replay)")
    p.add_argument("--source", action="append", help="only this source kind (repeatable): rss, google_news, youtube, hackernews, mastodon, "
                   "bluesky, gdelt, appstore, hatena, naver, reddit")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("mentions", help="list, filter and export stored mentions with sentiment, topic and reach",
                       description="Lists stored mentions newest first with their latest score: sentiment and the model's "
                       "probability for it (p), topic, reach (the largest of views, followers, likes and score the source "
                       "gives) and link. '–' marks a mention not scored yet; sentiment and topic filters leave those out. "
                       "--format csv/jsonl/parquet exports the same columns unshortened (with polars) to --output FILE "
                       "or, for csv and jsonl, to stdout.")
    p.add_argument("--brand", help="brand key, e.g. orbitly")
    p.add_argument("--source", help="source kind, e.g. hackernews")
    p.add_argument("--lang", help="language code, e.g. ko")
    p.add_argument("--since", type=_parse_time, help="ISO-8601 time or age (6h, 3d)")
    p.add_argument("--until", type=_parse_time, help="ISO-8601 time or age (6h, 3d)")
    p.add_argument("--sentiment", choices=["negative", "neutral", "positive"], help="only mentions scored so")
    p.add_argument("--topic", help="only mentions of this topic, e.g. pricing")
    p.add_argument("--min-reach", type=_reach_floor, metavar="N", help="only mentions with reach of at least N")
    p.add_argument("--text", metavar="WORDS", help="only mentions whose title or text contains WORDS (any script, "
                   "case-insensitive for ASCII letters)")
    p.add_argument("--own", action=argparse.BooleanOptionalAction, default=None,
                   help="--own: only the brands' own posts; --no-own: only what others say (default: both)")
    p.add_argument("--format", choices=["table", "csv", "jsonl", "parquet"], default="table",
                   help="output format (default table; parquet needs --output)")
    p.add_argument("--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--limit", type=_positive_int, help="at most this many mentions, newest first "
                   "(default: 20 for the table, every match for an export)")
    p.add_argument("--width", type=_positive_int, default=120,
                   help="table width in terminal columns, up to the link (default 120; the mention text takes what is left)")
    p.set_defaults(func=cmd_mentions)

    p = sub.add_parser("config", help="work with listening config files", description="Work with listening config files.")
    config_sub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    c = config_sub.add_parser("check", help="validate a config file and report what it would fetch",
                              description="Validates a listening config as every command would load it (plus the Slack "
                              "secret when Slack is enabled); errors name the file, the field and the problem and exit 2. "
                              "Warnings (no own brand, a language the model does not know) go to stderr and keep exit 0. "
                              "An unset ${REPLAY_URL} (the demo config's) is checked with a placeholder and a note.")
    c.add_argument("file", help="path to the YAML config")
    c.set_defaults(func=cmd_config_check)

    p = sub.add_parser("ui", help="open the Dagster UI on the same store", description="Runs `dagster dev` for this project.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("alerts", help="list crisis alerts, or show one alert's whole explanation",
                       description="Lists stored crisis alerts, newest first: severity, state, peak ratio, duration and "
                       "negative mentions. `listening alerts show KEY` prints one alert in full: peak, baseline, timeline "
                       "sparkline, languages, sources, top terms and linked posts (no Slack needed).")
    p.add_argument("--brand", help="brand key, e.g. orbitly")
    p.add_argument("--state", choices=["open", "resolved"], help="open (still running, updates included) or resolved")
    p.add_argument("--since", type=_parse_time, help="episodes still running at or after this ISO-8601 time or age (7d)")
    p.add_argument("--limit", type=int, default=50, help="rows to show (default 50)")
    p.set_defaults(func=cmd_alerts)
    alerts_sub = p.add_subparsers(dest="alerts_command", metavar="ACTION")
    a = alerts_sub.add_parser("show", help="print one alert's whole explanation",
                              description="Prints one alert's whole explanation: peak (ratio, count, baseline, when), "
                              "duration and total once resolved, why its severity, the timeline as a sparkline, languages, "
                              "sources, top terms, topics and linked posts.")
    a.add_argument("key", help="alert key as `listening alerts` lists it, e.g. orbitly:2026-11-20T13:30:00+00:00")
    a.set_defaults(func=cmd_alerts)

    p = sub.add_parser("detect-spikes", help="find volume surges in a time series CSV",
                       description="Reads SERIES.csv (columns timestamp,value; regular buckets such as 5-minute mention counts) "
                       "and writes ALARMS.csv with one row per alert raised (timestamp of the page). Causal: each decision "
                       "uses only data up to that moment.")
    p.add_argument("--input", required=True, help="SERIES.csv with columns timestamp,value")
    p.add_argument("--output", required=True, help="ALARMS.csv to write")
    p.set_defaults(func=cmd_detect_spikes)

    p = sub.add_parser("reach-changes", help="find algorithm-driven reach changes in engagement snapshots",
                       description="Reads SNAPSHOTS.csv (platform, account, post_id, posted_at, observed_at, likes, reposts, "
                       "replies, views, followers) and writes CHANGES.csv (platform, account, changed_at, direction, magnitude, "
                       "attribution, ...): one row per detected change of the follower-normalised engagement rate, attributed "
                       "to the platform (competitors moved too) or the account. Causal.")
    p.add_argument("--input", required=True, help="SNAPSHOTS.csv")
    p.add_argument("--output", required=True, help="CHANGES.csv to write")
    p.set_defaults(func=cmd_reach_changes)

    p = sub.add_parser("digest", help="write the weekly competitor digest (HTML + Markdown + charts) for one ISO week",
                       description="Builds the weekly competitor digest for one ISO week from the store, the same document "
                       "the Dagster asset weekly_competitor_digest builds (reach changes included), and writes "
                       "digest-<week>.html (self-contained), digest-<week>.md and chart PNGs. A week that has not ended "
                       "(in project.timezone), or that ended before the store's first mention, is refused with exit code 2.")
    p.add_argument("--week", required=True, metavar="YYYY-Www", help="ISO week, e.g. 2026-W46")
    p.add_argument("--lang", choices=["en", "ko", "ja"], help="digest language (default: project.digest_language)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: $LISTENING_HOME/digests for the project's language, where the asset writes "
                   "the same files, and $LISTENING_HOME/digests/<lang> for another language, so it never replaces them); "
                   "the command says whether it replaced a file with different content")
    p.add_argument("--config", help="listening config YAML (default: $LISTENING_CONFIG, else the demo replay)")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("db", help="manage the store's schema", description="Manage the store's schema "
                       "($LISTENING_DATABASE_URL, else the SQLite file in $LISTENING_HOME).")
    db_sub = p.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    d = db_sub.add_parser("upgrade", help="bring the store's schema to this release's head, keeping every row",
                          description="Applies the schema revisions the store lacks (every command also does this before "
                          "first use); a store made before migrations existed is recognised and stamped first. "
                          "Back the store up before upgrading a production store (docs/operations.md).")
    d.set_defaults(func=cmd_db_upgrade)

    from listening.inbox.cli import register as register_inbox_commands
    from listening.nlp.cli import register as register_model_commands

    register_inbox_commands(sub)
    register_model_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except ListeningError as exc:  # messages can quote input or a server's words: no control reaches the terminal
        print(f"listening {args.command}: error: {strip_invisible(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader went away (`| head -1`): stop quietly, as `cat` and `grep` do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a path the user gave (or $LISTENING_HOME) is missing, unwritable or not a folder
        print(f"listening {args.command}: error: {InputError(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
