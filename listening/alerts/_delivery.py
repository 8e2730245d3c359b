"""Alert delivery: Slack rendering of an alert and posting each alert state exactly once."""

from __future__ import annotations

import logging
from typing import Any

from listening.alerts._model import Alert
from listening.alerts._repository import AlertRepository, Claim, new_owner
from listening.alerts._text import duration_text, sparkline, utc_text
from listening.errors import DeliveryError
from listening.render import count_text
from listening.slack import PostResult, SlackClient, context, divider, escape, header, link, section, truncate

log = logging.getLogger(__name__)

_EMOJI = {"low": ":large_yellow_circle:", "medium": ":large_orange_circle:", "high": ":red_circle:", "critical": ":rotating_light:"}


def render(alert: Alert, *, first: bool | None = None, ui_url: str = "") -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and Block Kit blocks for an alert in its current state; all user text escaped.

    ``first`` (default: nothing was delivered yet) makes the message stand alone: a catch-up run
    that saw a whole episode at once posts one message saying what happened, not just "Resolved".
    ``ui_url`` (the Dagster UI) adds links to the brand's mentions and the alert there.
    """
    e = alert.explanation
    first = alert.delivered_state is None if first is None else first
    resolved = alert.state == "resolved"
    title = ("Negative spike (over)" if resolved else "Negative spike") if first else \
        ("Resolved" if resolved else "Update")
    icon = ":white_check_mark:" if resolved else _EMOJI.get(alert.severity, "")
    text = f"{title}: {alert.brand} ({alert.severity}) {e.headline_ratio:.1f}x normal negative volume at peak"
    text += f", lasted {duration_text(alert.duration)}, {e.total:,} negative mentions" if resolved else f" since {utc_text(alert.window_start)}"
    blocks: list[dict[str, Any]] = [header(f"{title}: {alert.brand} ({alert.severity})")]
    lines = [f"{icon} *{e.headline_ratio:.1f}×* normal negative volume at peak: *{e.headline_count:.0f}* vs "
             f"~{count_text(e.headline_baseline)} {e.per_bucket} ({utc_text(e.peak_at or e.since)})"]
    if resolved:
        until = alert.active_until or alert.resolved_at
        lines.append(f"Opened {utc_text(alert.window_start)} · lasted *{duration_text(alert.duration)}* (until {utc_text(until)}) · "
                     f"*{e.total:,}* negative mentions · resolved {utc_text(alert.resolved_at)} once the stream was back to normal")
    else:
        lines.append(f"Since {utc_text(alert.window_start)} · {e.total:,} negative mentions so far · negative share "
                     f"*{e.share_now:.0%}* in the last bucket (usually {e.share_baseline:.0%})"
                     + (f" · {e.reach_text}" if e.reach_text else ""))
    if alert.state == "updated" and not first and (e.new_languages or e.new_sources):
        lines.append("Spread to " + ", ".join(escape(x) for x in [*e.new_languages, *e.new_sources]))
    if alert.state == "updated" and not first and e.severity_raised_from:
        lines.append(f"Severity raised from {e.severity_raised_from} to *{alert.severity}*")
    if e.severity_reasons:
        lines.append(f"_Severity {alert.severity}: {escape(', '.join(e.severity_reasons))}_")
    blocks.append(section("\n".join(lines)))
    facts = [("Languages", e.languages), ("Sources", e.sources), ("Top terms", e.terms), ("Topics", e.topics)]
    if first or alert.state == "updated":
        rows = [f"*{name}:* " + ", ".join(f"{escape(k)} ({v})" for k, v in items) for name, items in facts if items]
        if rows:
            blocks.append(section("\n".join(rows)))
    posts = e.posts if not (first and resolved) else (e.posts or e.representative_posts)
    if posts:
        blocks.append(divider())
    for p in posts:
        who = " · ".join(x for x in (p.author, p.source, f"reach {p.reach:,}" if p.reach else "") if x)
        blocks.append(section(f"{link(p.url, who or 'post')}\n>{escape(truncate(p.text.replace(chr(10), ' '), 280))}"))
    notes = [f"volume {sparkline(e.timeline or e.evolution)}", f"alert `{escape(alert.key)}`"]
    if ui_url:
        notes.append(link(ui_url.rstrip("/") + "/assets/crisis_alerts", "alert in the UI") + " · "
                     + link(ui_url.rstrip("/") + "/assets/mentions", "mentions in the UI"))
    blocks.append(context(*notes))
    return text, blocks


def deliver(repo: AlertRepository, client: SlackClient, brands: set[str] | None = None,
            *, ui_url: str = "") -> list[tuple[str, str]]:
    """Post every alert whose current state was not yet delivered; returns (key, label) posted.

    ``brands`` limits paging to those brands (on-call is paged for the own brand;
    competitors' crises stay in the store for the digest and the UI). A failure
    leaves ``delivered_state`` untouched so the next run retries it. Each post carries
    its (alert, state) as Slack message metadata: a run that takes over the claim of a
    run killed mid-post first looks for that post in Slack and records it instead of
    posting twice (bot mode with a channel id; webhooks cannot be read back).
    """
    posted: list[tuple[str, str]] = []
    owner = new_owner()
    for pending in repo.undelivered():
        if brands is not None and pending.brand not in brands:
            continue
        claim = repo.claim(pending.key, pending.delivery_label, owner)
        if claim is None:
            continue
        alert = repo.get_alert(pending.key) or pending
        marker = (ALERT_EVENT, {"key": alert.key, "state": alert.delivery_label})
        try:
            landed = _landed_before(client, alert, marker) if claim is Claim.TAKEN_OVER else None
            if landed is not None:
                log.info("alert %s (%s) was posted by a run that died before recording it", alert.key, alert.delivery_label)
            text, blocks = render(alert, ui_url=ui_url)
            result = landed or client.post(text, blocks, thread_ts=alert.slack_ts, marker=marker)
        except DeliveryError as exc:
            repo.release(alert.key, owner)
            log.warning("alert %s (%s) not delivered, will retry next run: %s", alert.key, alert.delivery_label, exc)
            continue
        repo.mark_delivered(alert.key, alert.delivery_label, result.ts, result.channel)
        if landed is None:
            posted.append((alert.key, alert.delivery_label))
    return posted


ALERT_EVENT = "listening_alert"


def _landed_before(client: SlackClient, alert: Alert, marker: tuple[str, dict[str, str]]) -> PostResult | None:
    """The post an interrupted run made for this state, if Slack has it; None when it did not land or cannot be known."""
    try:
        return client.find_post(marker, channel=alert.slack_channel, thread_ts=alert.slack_ts)
    except DeliveryError as exc:
        log.warning("cannot check whether alert %s (%s) was already posted (%s); posting it, "
                    "which may repeat a post made just before a crash", alert.key, alert.delivery_label, exc)
        return None
