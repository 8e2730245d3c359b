"""The inbox: items that need an answer, their SLA state and priority, and the states people set by hand.

An item needs an answer when its intents include question, complaint or request. Intents come from the
scorer (``intents`` table, by text hash and model id); a text not scored yet is judged by the surface cues
alone (question and request cues of listening.nlp.intent) and shown with ``*`` until it is scored.
Items written by the brand's handles are never items; neither are the brand's own posts (thread roots).

Manual states live in ``inbox_states`` and only people change them: ``done`` closes an item for good,
``snooze`` hides it until a time, ``assign`` names who answers. Re-reading threads never touches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from listening.config import ListeningConfig
from listening.errors import InputError
from listening.inbox._answered import Handles
from listening.inbox._priority import NEEDS_ANSWER, priority
from listening.inbox._sla import Sla
from listening.nlp.intent import QUESTION, REQUEST, asks_question, makes_request
from listening.store import Store, inbox_states, intents, scores, thread_items
from listening.utc import as_utc

#: ``--state`` values: open = ok + due + breached (what still needs someone).
STATES = ("open", "due", "breached", "snoozed", "done", "answered", "all")


@dataclass(frozen=True)
class InboxItem:
    id: str
    brand: str
    platform: str
    url: str
    author: str
    author_followers: int | None
    text: str
    lang: str
    published_at: datetime
    intents: tuple[str, ...]
    scored: bool
    p_negative: float | None
    deadline: datetime
    state: str  # ok | due | breached | answered | done | snoozed
    waited: timedelta
    priority: float
    answered_at: datetime | None = None
    assignee: str = ""
    note: str = ""
    snoozed_until: datetime | None = None

    @property
    def open(self) -> bool:
        return self.state in ("ok", "due", "breached")

    @property
    def intent_label(self) -> str:
        return ",".join(self.intents) + ("" if self.scored else "*")


def cue_intents(text: str) -> tuple[str, ...]:
    """Intents from surface cues alone, for a text the model has not scored yet."""
    found = ({QUESTION} if asks_question(text) else set()) | ({REQUEST} if makes_request(text) else set())
    return tuple(sorted(found))


def items(store: Store, config: ListeningConfig, model_id: str, *, now: datetime, brand: str | None = None,
          needing_only: bool = True, published: tuple[datetime, datetime] | None = None) -> list[InboxItem]:
    """Every item of ``brand`` (default: the own brand; ``"*"``: all brands) with its state, highest priority first;
    ``published``: only items published in [start, end)."""
    own = config.own_brand
    key = brand or (own.key if own else None)
    sla = Sla.of(config)
    t, s, i, st = thread_items.c, scores.c, intents.c, inbox_states.c
    q = (sa.select(t.id, t.brand, t.platform, t.url, t.author, t.author_followers, t.text, t.lang, t.published_at,
                   t.answered_at, t.deleted_at, i.intents, s.p_negative, st.done_at, st.note, st.snoozed_until, st.assignee)
         .select_from(thread_items)
         .outerjoin(scores, sa.and_(s.text_hash == t.text_hash, s.model_id == model_id))
         .outerjoin(intents, sa.and_(i.text_hash == t.text_hash, i.model_id == model_id))
         .outerjoin(inbox_states, st.item_id == t.id)
         .where(t.by_brand.is_(False), t.published_at <= now))
    if key != "*":
        q = q.where(t.brand == (key or ""))
    if published is not None:
        q = q.where(t.published_at >= published[0], t.published_at < published[1])
    brands = {b.key: b for b in config.brands}
    out = []
    with store.engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    for r in rows:
        b = brands.get(r["brand"])
        if b is None or Handles.of(b, r["platform"]).match(r["author"]):
            continue  # the brand's own words are never an item, even if its handles were added later
        scored = r["intents"] is not None
        labels = tuple(sorted(r["intents"].split(","))) if scored else cue_intents(r["text"])
        if needing_only and not NEEDS_ANSWER & set(labels):
            continue
        if r["deleted_at"] is not None and r["answered_at"] is None and r["done_at"] is None:
            continue  # its author deleted it before anyone answered: nothing left to answer
        published = as_utc(r["published_at"])
        answered, done, snoozed = as_utc(r["answered_at"]), as_utc(r["done_at"]), as_utc(r["snoozed_until"])
        deadline = sla.deadline(published)
        if answered is not None and answered <= now:
            state = "answered"
        elif done is not None:
            state = "done"
        elif snoozed is not None and snoozed > now:
            state = "snoozed"
        else:
            state = sla.state(published, now)
        share = sla.elapsed(published, now) / timedelta(hours=sla.hours)
        prio = priority(set(labels), r["p_negative"], r["author_followers"], share).total
        out.append(InboxItem(r["id"], r["brand"], r["platform"], r["url"], r["author"], r["author_followers"], r["text"],
                             r["lang"], published, labels, scored, r["p_negative"], deadline, state, now - published,
                             round(prio, 2), answered, r["assignee"] or "", r["note"] or "", snoozed))
    out.sort(key=lambda it: (-it.priority, it.published_at, it.id))
    return out


def select(found: Sequence[InboxItem], state: str = "open", *, intent: str | None = None, platform: str | None = None,
           assignee: str | None = None) -> list[InboxItem]:
    """The items a listing shows: by state (see :data:`STATES`), intent, platform and assignee."""
    if state not in STATES:
        raise InputError(f"unknown state {state!r}; choose from {', '.join(STATES)}")
    keep = {"open": ("ok", "due", "breached"), "due": ("due",), "breached": ("breached",), "snoozed": ("snoozed",),
            "done": ("done",), "answered": ("answered",)}.get(state)
    return [it for it in found if (keep is None or it.state in keep) and (intent is None or intent in it.intents)
            and (platform is None or it.platform == platform) and (assignee is None or it.assignee == assignee)]


# -- manual states --------------------------------------------------------------------------------------

def resolve(store: Store, prefix: str) -> str:
    """The full id of the item whose id starts with ``prefix`` (the listing shows 10 characters)."""
    prefix = prefix.strip().lower()
    if len(prefix) < 4:
        raise InputError(f"item id {prefix!r} is too short; give at least 4 characters of the id `listening inbox` shows")
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(thread_items.c.id).where(thread_items.c.id.startswith(prefix, autoescape=True))
                             .limit(2)).scalars().all()
    if not found:
        raise InputError(f"no inbox item has an id starting with {prefix!r}; see `listening inbox --state all`")
    if len(found) > 1:
        raise InputError(f"{prefix!r} matches several items; give more characters of the id")
    return found[0]


def _set(store: Store, item_id: str, now: datetime, **values: object) -> None:
    with store.transaction() as conn:
        store.upsert(conn, inbox_states, [{"item_id": item_id, "updated_at": now, **values}],
                     update=(*values, "updated_at"))


def mark_done(store: Store, prefix: str, *, now: datetime, note: str = "") -> str:
    """Close an item by hand (answered elsewhere, or nothing to answer); it never reopens."""
    item_id = resolve(store, prefix)
    _set(store, item_id, now, done_at=now, note=note or None)
    return item_id


def snooze(store: Store, prefix: str, *, until: datetime, now: datetime) -> str:
    """Hide an item until ``until``; it comes back with its SLA state then (the SLA clock keeps running)."""
    if until <= now:
        raise InputError(f"--until {until.isoformat()} is not in the future")
    item_id = resolve(store, prefix)
    _set(store, item_id, now, snoozed_until=until)
    return item_id


def assign(store: Store, prefix: str, *, to: str, now: datetime) -> str:
    """Name who answers the item (shown in the listing; ``--assignee`` filters by it)."""
    if not to.strip():
        raise InputError("--to needs a name")
    item_id = resolve(store, prefix)
    _set(store, item_id, now, assignee=to.strip())
    return item_id
