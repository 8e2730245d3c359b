"""One week's digest exactly as every caller makes it: the CLI, the Dagster asset and the demo share this path.

It refuses a week that has not ended (its figures would still move) and a week that ended before the
store's first mention (every figure would be zero), naming the newest week it can build instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from listening.config import ListeningConfig
from listening.digest import _query
from listening.digest._build import build_digest
from listening.digest._model import Digest
from listening.digest._reach import reach_lines
from listening.digest._weeks import Week, week_bounds, zone
from listening.errors import InputError
from listening.i18n import labels
from listening.reach import stored_changes
from listening.store import Store
from listening.utc import now as clock


class DigestNotReady(InputError):
    """The week cannot have a digest yet: it has not ended, or the store holds nothing up to its end."""


def newest_complete_week(config: ListeningConfig, now: datetime) -> Week:
    """The latest week (in the project's timezone and week start) that has ended by ``now``."""
    tz, week_start = config.project.timezone, config.project.week_start
    year, num, _ = (now.astimezone(zone(tz)).date() + timedelta(days=1 if week_start == "sunday" else 0)).isocalendar()
    week = week_bounds(f"{year}-W{num:02d}", tz, week_start)
    while week.end > now:
        week = week.shift(-1, tz, week_start)
    return week


def check_week(store: Store, config: ListeningConfig, week: str, now: datetime) -> Week:
    """The week's bounds, or :class:`DigestNotReady` saying why there is no digest for it yet."""
    tz, week_start = config.project.timezone, config.project.week_start
    bounds = week_bounds(week, tz, week_start)
    local = zone(tz)
    if bounds.end > now:
        newest = newest_complete_week(config, now)
        raise DigestNotReady(f"{bounds.label} has not ended: it ends {bounds.end.astimezone(local):%Y-%m-%d %H:%M %Z} "
                             f"({tz}); the newest complete week is {newest.label}")
    first = _query.first_mention(store, [b.key for b in config.brands])
    if first is None:
        raise DigestNotReady(f"the store holds no mentions of the configured brands yet; run `listening fetch` "
                             f"(or the Dagster job) first, then ask for {bounds.label} again")
    if first >= bounds.end:
        raise DigestNotReady(f"{bounds.label} ended before the store's first mention "
                             f"({first.astimezone(local):%Y-%m-%d %H:%M %Z}): there is no data for it")
    return bounds


def weekly_digest(store: Store, config: ListeningConfig, week: str, model_id: str, *, lang: str | None = None,
                  now: datetime | None = None) -> Digest:
    """The week's digest with the reach changes stored for it (began or confirmed in the week).

    ``now`` (default: the product clock) decides whether the week has ended.
    """
    bounds = check_week(store, config, week, (now or clock()).astimezone(timezone.utc))
    L = labels(lang or config.project.digest_language)
    changes = reach_lines(store, config, stored_changes(store, bounds.start, bounds.end), L)
    return build_digest(store, config, bounds.label, model_id, lang=lang, reach_changes=changes)
