"""Alert delivery: Slack rendering of an alert and posting each alert state exactly once."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from listening.alerts._model import Alert
from listening.alerts._repository import AlertRepository, Claim, new_owner
from listening.errors import DeliveryError
from listening.slack import PostResult, SlackClient, context, divider, escape, header, link, section, truncate

log = logging.getLogger(__name__)

_SPARK = "▁▂▃▄▅▆▇█"
_EMOJI = {"low": ":large_yellow_circle:", "medium": ":large_orange_circle:", "high": ":red_circle:", "critical": ":rotating_light:"}


def sparkline(values: list[float]) -> str:
    """Volume evolution in one line.

    >>> sparkline([0, 1, 2, 7])
    '▁▂▃█'
    """
    if not values:
        return ""
    lo, span = min(values), (max(values) - min(values)) or 1.0
    return "".join(_SPARK[round((v - lo) / span * (len(_SPARK) - 1))] for v in values)


def render(alert: Alert) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and Block Kit blocks for an alert in its current state; all user text escaped."""
    e = alert.explanation
    brand = escape(alert.brand)
    title = {"open": "Negative spike", "updated": "Spike growing", "resolved": "Resolved"}[alert.state]
    icon = ":white_check_mark:" if alert.state == "resolved" else _EMOJI.get(alert.severity, "")
    since = datetime.fromisoformat(e.since).strftime("%Y-%m-%d %H:%M UTC")
    text = f"{title}: {brand} ({alert.severity}) {e.ratio:.1f}x normal negative volume since {since}"
    blocks: list[dict[str, Any]] = [header(f"{title}: {alert.brand} ({alert.severity})")]
    blocks.append(section(
        f"{icon} *{e.ratio:.1f}×* normal negative volume: *{e.current:.0f}* vs ~{e.baseline:.1f} per bucket"
        f" (peak {e.peak:.0f}) since {since}\n"
        f"Negative share *{e.share_now:.0%}* (usually {e.share_baseline:.0%})"
        + (f" · negative reach {e.reach_negative:,.0f}" if e.reach_negative else "")
    ))
    facts = [
        ("Languages", e.languages), ("Sources", e.sources), ("Top terms", e.terms), ("Topics", e.topics),
    ]
    lines = [f"*{name}:* " + ", ".join(f"{escape(k)} ({v})" for k, v in items) for name, items in facts if items]
    if lines:
        blocks.append(section("\n".join(lines)))
    if e.posts:
        blocks.append(divider())
    for p in e.posts:
        who = " · ".join(x for x in (p.author, p.source, f"reach {p.reach:,}" if p.reach else "") if x)
        blocks.append(section(f"{link(p.url, who or 'post')}\n>{escape(truncate(p.text.replace(chr(10), ' '), 280))}"))
    blocks.append(context(f"volume {sparkline(e.evolution)}", f"alert `{escape(alert.key)}`"))
    return text, blocks


def deliver(repo: AlertRepository, client: SlackClient, brands: set[str] | None = None) -> list[tuple[str, str]]:
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
            text, blocks = render(alert)
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
