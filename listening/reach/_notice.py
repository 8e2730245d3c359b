"""Which reach changes people hear about in Slack, and how the message reads.

A platform-wide change is one event however many accounts it moved, so the
accounts' rows become one notice (their changes start within
:data:`GROUP_DAYS` of each other). An account-specific change is worth a notice
only for the own brand's accounts: a competitor's own content doing worse is
digest material, not news for the on-call channel. A notice's key is fixed by
what the detector decided first, and the detector is causal, so re-runs find
the same keys and a notice is posted once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from listening.reach._types import ReachChange
from listening.slack import context, escape, header, section

__all__ = ["GROUP_DAYS", "ReachNotice", "notice_message", "plan_notices"]

GROUP_DAYS = 3.0
PLATFORM_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "youtube": "YouTube"}


@dataclass(frozen=True, slots=True)
class ReachNotice:
    """One Slack notice: a platform-wide change (several accounts) or one own account's change.

    ``brands`` holds the brand key of each change's account, in the order of ``changes``.
    """

    key: str
    platform: str
    attribution: str
    direction: str
    changes: tuple[ReachChange, ...]
    brands: tuple[str, ...]

    @property
    def detected_at(self) -> datetime:
        return min(c.detected_at for c in self.changes)

    @property
    def changed_at(self) -> datetime:
        return min(c.changed_at for c in self.changes)


def plan_notices(changes: Sequence[ReachChange], brands: Mapping[tuple[str, str], str], own: set[str],
                 since: datetime) -> list[ReachNotice]:
    """Notices for changes first decided at or after ``since``, oldest first.

    ``brands`` maps (platform, account) to the brand key; ``own`` holds the own brands' keys.
    """
    notices: list[ReachNotice] = []
    groups: dict[tuple[str, str], list[list[ReachChange]]] = {}
    for c in sorted(changes, key=lambda c: (c.changed_at, c.platform, c.account)):
        if c.attribution == "platform":
            runs = groups.setdefault((c.platform, c.direction), [])
            if runs and c.changed_at - runs[-1][0].changed_at <= timedelta(days=GROUP_DAYS):
                runs[-1].append(c)
            else:
                runs.append([c])
        elif brands.get((c.platform, c.account)) in own:
            key = f"reach:{c.platform}:{c.account}:{c.direction}:{c.changed_at:%Y%m%dT%H%M}"
            notices.append(ReachNotice(key, c.platform, "account", c.direction, (c,),
                                       (brands[(c.platform, c.account)],)))
    for (platform, direction), runs in groups.items():
        for run in runs:
            first = min(c.detected_at for c in run)
            key = f"reach:{platform}:platform:{direction}:{first:%Y%m%dT%H%M}"
            names = tuple(brands.get((c.platform, c.account), "") for c in run)
            notices.append(ReachNotice(key, platform, "platform", direction, tuple(run), names))
    return sorted((n for n in notices if n.detected_at >= since), key=lambda n: (n.detected_at, n.key))


def _pct(value: float) -> str:
    return f"{value:+.0%}".replace("-", "−")


def notice_message(notice: ReachNotice, brand_names: Mapping[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and Block Kit blocks for a notice; account names and brands are escaped."""
    platform = PLATFORM_NAMES.get(notice.platform, notice.platform)
    verb = "fell" if notice.direction == "down" else "rose"
    since = notice.changed_at.strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"• {escape(c.account)} ({escape(brand_names.get(b, b))}): *{_pct(c.magnitude)}* "
             f"(95 % CI {_pct(c.ci_low)} … {_pct(c.ci_high)}), {c.posts_after} posts since {c.changed_at:%b %d}"
             for c, b in zip(notice.changes, notice.brands)]
    if notice.attribution == "platform":
        title = f"Reach change on {platform}: every tracked account moved"
        text = f"{title} ({verb} since {since})"
        body = (f"Engagement per follower {verb} for the tracked accounts on *{escape(platform)}*, ours and "
                f"competitors', at about the same time, since {since}. This looks like a platform (algorithm) "
                f"change, not anyone's content.")
    else:
        change = notice.changes[0]
        brand = brand_names.get(notice.brands[0], notice.brands[0])
        title = f"Reach change: {brand} on {platform}"
        text = f"{title} ({_pct(change.magnitude)} since {since})"
        body = (f"Engagement per follower of *{escape(change.account)}* {verb} since {since}, while competitors "
                f"on {escape(platform)} did not move: likely our content, cadence or audience, not the algorithm.")
    blocks = [header(title), section(body + "\n" + "\n".join(lines)),
              context(f"reach model · decided {notice.detected_at:%Y-%m-%d %H:%M} UTC", f"`{escape(notice.key)}`")]
    return text, blocks
