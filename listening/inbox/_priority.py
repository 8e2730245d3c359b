"""Which open item to answer first: a documented sum of four parts (docs/inbox.md, Priority).

- intent: complaint 3, request 2, question 2 (the strongest that holds), +0.5 for each further one;
- negativity: 2 × P(negative) from the sentiment head (0 while the text is not scored yet);
- author reach: log10(1 + followers) / 3, at most 2 (a 1,000-follower author adds 1; unknown adds 0);
- waiting: 3 × (SLA time waited / SLA), at most 6: an item at its deadline outranks a fresh complaint.

Higher first; ties go to the item waiting longest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INTENT_WEIGHTS = {"complaint": 3.0, "request": 2.0, "question": 2.0}
NEEDS_ANSWER = frozenset(INTENT_WEIGHTS)


@dataclass(frozen=True)
class Priority:
    intent: float
    negativity: float
    reach: float
    waiting: float

    @property
    def total(self) -> float:
        return self.intent + self.negativity + self.reach + self.waiting


def priority(intents: set[str], p_negative: float | None, followers: int | None, waited_share: float) -> Priority:
    """The parts of one item's priority; ``waited_share`` is SLA time waited divided by the SLA.

    >>> p = priority({"complaint", "question"}, 0.9, 999, 0.5)
    >>> (p.intent, round(p.negativity, 2), round(p.reach, 2), p.waiting, round(p.total, 2))
    (3.5, 1.8, 1.0, 1.5, 7.8)
    """
    weights = sorted((INTENT_WEIGHTS[i] for i in intents if i in INTENT_WEIGHTS), reverse=True)
    intent = (weights[0] + 0.5 * (len(weights) - 1)) if weights else 0.0
    reach = min(math.log10(1 + followers) / 3, 2.0) if followers else 0.0
    return Priority(intent, 2.0 * (p_negative or 0.0), reach, 3.0 * min(max(waited_share, 0.0), 2.0))
