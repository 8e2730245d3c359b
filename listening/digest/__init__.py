"""Weekly competitor digest: share of voice, sentiment, themes, competitor moves, our crises.

:func:`build_digest` turns one ISO week of the store into a :class:`Digest`
(plain data); :func:`write_digest` renders it to ``digest-<week>.html`` (self-
contained), ``digest-<week>.md`` and chart PNGs. Re-running a week over the same
store content rewrites byte-identical files. :func:`slack_message` gives the
Block Kit summary that points at those files; :func:`deliver_digest` posts it
(and, with a bot token, the HTML file) once per week when Slack is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from listening.digest._build import build_digest
from listening.digest._charts import charts as render_charts
from listening.digest._deliver import DigestPost, deliver_digest, digest_location, pending_weeks, post_digest
from listening.digest._model import (
    Activity, BrandSentiment, BrandShare, Campaign, Crisis, Digest, Methodology, Movement, Post, ReachChange, Theme,
)
from listening.digest._render import data_uri, render_html, render_markdown, slack_message
from listening.digest._weekly import DigestNotReady, check_week, newest_complete_week, weekly_digest
from listening.digest._weeks import Week, last_complete_week, parse_week, partition_to_week, week_bounds, week_partition_key
from listening.store import listening_home
from listening.utc import now as clock

__all__ = [
    "Activity", "BrandSentiment", "BrandShare", "Campaign", "Crisis", "Digest", "DigestFiles", "DigestNotReady", "DigestPost",
    "Methodology", "Movement", "Post", "ReachChange", "Theme", "Week", "build_digest", "check_week", "data_uri",
    "default_out_dir", "deliver_digest", "digest_command", "digest_location", "embedded_markdown", "last_complete_week",
    "newest_complete_week", "parse_week", "partition_to_week", "pending_weeks", "post_digest", "render_charts", "render_html",
    "render_markdown", "slack_message", "week_bounds", "week_partition_key", "weekly_digest", "write_digest",
]


@dataclass(frozen=True)
class DigestFiles:
    """What :func:`write_digest` wrote; ``previous`` says what the HTML replaced: "none", "same" or "different"."""

    html: Path
    markdown: Path
    charts: dict[str, Path]
    previous: str = "none"


def default_out_dir() -> Path:
    """``$LISTENING_HOME/digests``."""
    return listening_home() / "digests"


def _write(path: Path, data: bytes) -> None:
    """Write via a temporary file so a reader never sees half a digest."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_digest(digest: Digest, out_dir: Path | None = None) -> DigestFiles:
    """Render and write the HTML, the Markdown and the chart PNGs beside it."""
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{digest.week}"
    pngs = render_charts(digest)
    chart_paths = {name: out / f"{stem}-{name}.png" for name in pngs}
    for name, png in pngs.items():
        _write(chart_paths[name], png)
    html_path, md_path = out / f"{stem}.html", out / f"{stem}.md"
    html = render_html(digest, pngs).encode("utf-8")
    previous = "none" if not html_path.exists() else "same" if html_path.read_bytes() == html else "different"
    _write(html_path, html)
    _write(md_path, render_markdown(digest, {n: p.name for n, p in chart_paths.items()}).encode("utf-8"))
    return DigestFiles(html_path, md_path, chart_paths, previous)


def embedded_markdown(digest: Digest) -> str:
    """The Markdown with charts inlined as data URIs (for the Dagster UI, where no files sit beside it)."""
    return render_markdown(digest, {n: data_uri(png) for n, png in render_charts(digest).items()})


def digest_command(week: str, lang: str | None = None, out_dir: Path | None = None, config_path: Path | None = None,
                   *, model_id: str | None = None) -> DigestFiles:
    """``listening digest``: the same document the Dagster asset writes for the week (:func:`weekly_digest`).

    Without ``out_dir`` the project's digest language goes to :func:`default_out_dir`, the files the
    asset writes and Slack links to: the CLI writes the same document there, and
    :attr:`DigestFiles.previous` says whether it differed (the store changed since). Another language
    goes to ``default_out_dir()/<lang>``, so it never replaces the project-language digest. Without
    ``model_id`` the current scorer's id is used (loading the model once).
    """
    from listening.i18n import labels
    from listening.pipeline import open_config, open_store

    parse_week(week)
    if lang is not None:
        labels(lang)
    with open_config(config_path) as config:
        store = open_store()
        check_week(store, config, week, clock())
        if model_id is None:
            from listening.nlp.scoring import model_id_of

            model_id = model_id_of()  # read from the model's config: the digest only reads stored scores
        digest = weekly_digest(store, config, week, model_id, lang=lang)
        if out_dir is None:
            out_dir = default_out_dir() if digest.lang == config.project.digest_language else default_out_dir() / digest.lang
    return write_digest(digest, out_dir)
