"""Digest -> HTML, Markdown and Slack Block Kit.

Escaping is structural, not remembered per field: HTML uses Jinja autoescape;
the Markdown environment's ``finalize`` escapes every value with ``md_escape``
unless a filter here produced it as trusted :class:`Markup` (numbers, checked
links, chart images). Slack text goes through ``slack.escape``/``slack.link``.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from listening import slack
from listening.digest._model import Digest, Post
from listening.i18n import labels
from listening.render import clean, md_escape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _pct(value: float | None) -> Markup:
    return Markup("–" if value is None else f"{100 * value:.1f}%")


def _pp(value: float) -> Markup:
    return Markup(f"{100 * value:+.1f} pp")


def _signed(value: float | None) -> Markup:
    return Markup("–" if value is None else f"{value:+.2f}")


def _rel(value: float | None) -> Markup:
    return Markup("–" if value is None else f"{100 * value:+.0f}%")


def _rate(value: float | None) -> Markup:
    """Three significant figures, without an exponent for large rates."""
    return Markup("–" if value is None else f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}")


def _num(value: float | int | None) -> Markup:
    return Markup("–" if value is None else f"{value:,.0f}")


def _md_finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    return md_escape(clean(str(value), 100_000))


def _md_link(post: Post | None, label: str | None = None) -> Markup:
    if post is None:
        return Markup("")
    text = md_escape(clean(label or post.label, 160))
    return Markup(f"[{text}]({post.url})" if post.url else text)


def _environment(markdown: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=not markdown, undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        finalize=_md_finalize if markdown else None,
    )
    env.filters.update(pct=_pct, pp=_pp, signed=_signed, num=_num, rel=_rel, rate=_rate, mdlink=_md_link)
    return env


_HTML = _environment(markdown=False)
_MD = _environment(markdown=True)


def data_uri(png: bytes) -> str:
    """A PNG as an inline ``data:`` URI (the HTML must not fetch anything)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(digest: Digest, charts: dict[str, bytes]) -> str:
    """Self-contained HTML: inline CSS, charts as data URIs, a CSP that forbids any fetch."""
    return _HTML.get_template("digest.html.j2").render(
        d=digest, L=labels(digest.lang), charts={k: data_uri(v) for k, v in charts.items()})


def render_markdown(digest: Digest, chart_src: dict[str, str]) -> str:
    """Markdown with the same content; ``chart_src`` maps chart name to a relative file name or data URI."""
    trusted = {k: Markup(v) if isinstance(v, str) else {x: Markup(y) for x, y in v.items()} if isinstance(v, dict)
               else [Markup(x) for x in v] for k, v in labels(digest.lang).items()}
    return _MD.get_template("digest.md.j2").render(
        d=digest, L=trusted, charts={k: Markup(v.replace(" ", "%20").replace(")", "%29")) for k, v in chart_src.items()})


def slack_message(digest: Digest, location: str) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and Block Kit blocks: headline findings plus where the full digest is."""
    L = labels(digest.lang)
    title = f"{L['title']} · {digest.week}"
    blocks: list[dict[str, Any]] = [slack.header(title)]
    lines = []
    for m in digest.changes:
        evidence = f" ({slack.link(m.evidence.url, str(L['evidence']))})" if m.evidence and m.evidence.url else ""
        lines.append(f"• {slack.escape(m.text)}{evidence}")
    blocks.append(slack.section("*" + slack.escape(str(L["changes"])) + "*\n" + ("\n".join(lines) or slack.escape(str(L["no_changes"])))))
    sov = [f"{slack.escape(s.name)}: *{100 * s.share:.1f}%* ({100 * (s.share - s.share_prev):+.1f} pp)" for s in digest.share_of_voice]
    blocks.append(slack.section("*" + slack.escape(str(L["share_of_voice"])) + "*\n" + " · ".join(sov)))
    crises = [f"• {slack.escape(digest.brand_names.get(c.brand, c.brand))} ({slack.escape(c.severity_label or c.severity)}, "
              f"{slack.escape(c.state_label or c.state)}) {slack.escape(str(L['peak']))} "
              f"*{slack.escape(L['peak_ratio'].format(ratio=c.ratio))}* "
              f"({slack.escape(L['peak_counts'].format(count=c.current, baseline=c.baseline_text, minutes=c.bucket_minutes))})"
              + (f" · {slack.escape(str(L['duration']))} {slack.escape(c.duration)}" if c.duration else "")
              + (f" · {slack.escape(str(L['negative_total']))} {c.total:,}" if c.total else "")
              for c in digest.crises]
    if crises:
        blocks.append(slack.section("*" + slack.escape(str(L["crises"])) + "*\n" + "\n".join(crises)))
    where = slack.link(location, location) if location.startswith(("http://", "https://")) else slack.escape(location)
    blocks.append(slack.context(where, slack.escape(f"{digest.methodology.model_id}")))
    return slack.truncate(slack.escape(title), 300), slack.fit_blocks(blocks)
