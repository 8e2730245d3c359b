"""Algolia HN ``search_by_date`` semantics over the recorded hits.

Implements what connectors rely on: all query words must occur
(case-insensitive) in title, story text or comment text; ``tags`` with AND
between commas and OR inside parentheses; ``numericFilters`` on
``created_at_i`` only (anything else is HTTP 400, as on the real API);
newest first; paging with at most 1000 hits reachable.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from listening.replay.payloads import HN_FIELDS, iso

MAX_REACHABLE = 1000
NUMERIC_RE = re.compile(r"^\s*([A-Za-z_]+)\s*(<=|>=|!=|<|>|=)\s*(-?\d+)\s*$")


class BadRequest(ValueError):
    """A parameter the real API would answer with HTTP 400."""


def parse_tags(raw: str) -> list[set[str]]:
    """``story,(author_a,author_b)`` -> [{story}, {author_a, author_b}] (AND of ORs)."""
    groups, depth, cur = [], 0, ""
    for ch in raw:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            groups.append(cur)
            cur = ""
        else:
            cur += ch
    groups.append(cur)
    out = []
    for g in groups:
        names = {t.strip() for t in g.strip().strip("()").split(",") if t.strip()}
        if names:
            out.append(names)
    return out


def parse_numeric(raw: str) -> list[tuple[str, int]]:
    """``created_at_i>T,created_at_i<U`` -> [(op, value)]; other attributes are rejected."""
    out = []
    for part in (p for p in raw.split(",") if p.strip()):
        m = NUMERIC_RE.match(part)
        if not m:
            raise BadRequest(f"invalid numericFilters: {part!r}")
        attr, op, value = m.groups()
        if attr != "created_at_i":
            raise BadRequest(f"numeric filter on attribute {attr!r} is not supported")
        out.append((op, int(value)))
    return out


def _cmp(left: int, op: str, right: int) -> bool:
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right,
            "=": left == right, "!=": left != right}[op]


def _int(params: dict[str, str], key: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(key, "")
    if raw == "":
        return default
    try:
        return max(lo, min(hi, int(raw)))
    except ValueError as exc:
        raise BadRequest(f"{key} must be an integer") from exc


def search(hits: list[dict[str, Any]], shift_s: int, now_i: int, params: dict[str, str],
           raw_query: str = "") -> dict[str, Any]:
    """One ``search_by_date`` response over ``hits`` (recorded, newest first) shifted by ``shift_s``."""
    words = params.get("query", "").lower().split()
    tags = parse_tags(params.get("tags", ""))
    numeric = parse_numeric(params.get("numericFilters", ""))
    per_page = _int(params, "hitsPerPage", 20, 0, 1000)
    page = _int(params, "page", 0, 0, 10**6)
    matched = []
    for hit in hits:
        ts = hit["created_at_i"] + shift_s
        if ts > now_i or not all(_cmp(ts, op, v) for op, v in numeric):
            continue
        if tags and not all(g & set(hit["_tags"]) for g in tags):
            continue
        if words:
            hay = " ".join(str(hit[k] or "") for k in ("title", "story_text", "comment_text")).lower()
            if not all(w in hay for w in words):
                continue
        matched.append(hit)
    reachable = min(len(matched), MAX_REACHABLE)
    start = page * per_page
    page_hits = matched[start:min(start + per_page, reachable)] if per_page else []
    return {
        "hits": [shifted(h, shift_s) for h in page_hits],
        "nbHits": len(matched),
        "page": page,
        "nbPages": math.ceil(reachable / per_page) if per_page else 0,
        "hitsPerPage": per_page,
        "exhaustiveNbHits": True,
        "exhaustiveTypo": True,
        "query": params.get("query", ""),
        "params": raw_query,
        "processingTimeMS": 1,
    }


def shifted(hit: dict[str, Any], shift_s: int) -> dict[str, Any]:
    """A copy of ``hit`` with both creation fields moved by ``shift_s``."""
    ts = hit["created_at_i"] + shift_s
    out = {k: hit[k] for k in HN_FIELDS}
    out["created_at_i"] = ts
    out["created_at"] = iso(datetime.fromtimestamp(ts, timezone.utc))
    return out


def item(by_id: dict[str, dict[str, Any]], children: dict[int, list[dict[str, Any]]], item_id: str, shift_s: int,
         now_i: int) -> dict[str, Any] | None:
    """Algolia's ``/api/v1/items/:id``: the item and its comment tree, as served at ``now_i``; None if not (yet) there."""
    hit = by_id.get(item_id)
    if hit is None or hit["created_at_i"] + shift_s > now_i:
        return None

    def node(h: dict[str, Any]) -> dict[str, Any]:
        ts = h["created_at_i"] + shift_s
        kids = [node(c) for c in children.get(int(h["objectID"]), []) if c["created_at_i"] + shift_s <= now_i]
        return {"id": int(h["objectID"]), "created_at": iso(datetime.fromtimestamp(ts, timezone.utc)), "created_at_i": ts,
                "type": "story" if "story" in h.get("_tags", []) else "comment", "author": h.get("author"),
                "title": h.get("title"), "url": h.get("url"), "text": h.get("story_text") or h.get("comment_text"),
                "points": h.get("points"), "parent_id": h.get("parent_id"), "story_id": h.get("story_id"),
                "options": [], "children": sorted(kids, key=lambda k: k["created_at_i"])}

    return node(hit)
