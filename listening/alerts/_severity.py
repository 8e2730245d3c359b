"""Alert severity: the one definition, from an episode's peak (size, surprise), spread and reach.

The detector decides *whether* a surge is real; severity says *how bad* it is for
on-call, so it is graded on the whole episode, never on a single (possibly resolving)
bucket, and it can only rise while an episode lasts. Points, then levels:

=========================  ===================================  ======
evidence                   rule                                 points
=========================  ===================================  ======
size                       peak >= 3x normal / >= 8x normal     1 / 2
surprise                   peak z-score >= 4.5 / >= 8           1 / 2
spread across languages    2+ languages with 3+ negatives each  1
spread across sources      3+ sources with 3+ negatives each    1
reach                      negative reach >= 100,000            1
=========================  ===================================  ======

0 points is ``low``, 1-2 ``medium``, 3-4 ``high``, 5+ ``critical``.

>>> grade_episode(peak_ratio=22.3, surprise=4.6, languages=4, sources=3, reach=40)
('critical', ['peak 22.3x normal', 'z-score 4.6', '4 languages', '3 sources'])
>>> grade_episode(peak_ratio=17.3, surprise=3.4, languages=1, sources=2, reach=0)
('medium', ['peak 17.3x normal'])
>>> grade_episode(peak_ratio=1.8, surprise=3.4, languages=1, sources=1, reach=0)[0]
'low'
"""

from __future__ import annotations

from listening.crisis import SEVERITIES

__all__ = ["INVOLVED", "REACH_POINT", "SEVERITIES", "grade_episode"]

#: Negative mentions a language or source needs within an episode to count as involved.
INVOLVED = 3
#: Negative reach (views, followers, likes or score, the largest per post) that adds a point.
REACH_POINT = 100_000


def grade_episode(*, peak_ratio: float, surprise: float, languages: int, sources: int,
                  reach: float) -> tuple[str, list[str]]:
    """The severity of an episode and the evidence that raised it (for people to read)."""
    points, why = 0, []
    size = 2 if peak_ratio >= 8 else 1 if peak_ratio >= 3 else 0
    if size:
        points += size
        why.append(f"peak {peak_ratio:.1f}x normal")
    shock = 2 if surprise >= 8 else 1 if surprise >= 4.5 else 0
    if shock:
        points += shock
        why.append(f"z-score {surprise:.1f}")
    if languages >= 2:
        points += 1
        why.append(f"{languages} languages")
    if sources >= 3:
        points += 1
        why.append(f"{sources} sources")
    if reach >= REACH_POINT:
        points += 1
        why.append(f"negative reach {reach:,.0f}")
    level = "critical" if points >= 5 else "high" if points >= 3 else "medium" if points >= 1 else "low"
    return level, why
