"""Brand queries: boolean logic, phrases, exclusions, Latin word boundaries, CJK substrings."""

from __future__ import annotations

import pytest

from listening.matching import QuerySyntaxError, matches, parse_query

QUERY = '(orbitly OR 오르비틀리 OR オービトリー) NOT "orbitly coin"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Orbitly hub is down again", True, id="latin-word"),
        pytest.param("ORBITLY's new app", True, id="case-and-possessive"),
        pytest.param("Ｏｒｂｉｔｌｙ　ハブ", True, id="full-width-nfkc"),
        pytest.param("오르비틀리 앱이 안 열려요", True, id="korean"),
        pytest.param("Orbitly의 허브", True, id="latin-then-hangul-particle"),
        pytest.param("オービトリーのアプリが落ちた", True, id="japanese-substring"),
        pytest.param("orbitlyfan123 posted", False, id="no-partial-latin-word"),
        pytest.param("Buy Orbitly Coin now!!!", False, id="excluded-phrase"),
        pytest.param("Orbitly  coin giveaway", False, id="phrase-spans-whitespace"),
        pytest.param("nothing relevant", False, id="no-match"),
    ],
)
def test_brand_query(text: str, expected: bool) -> None:
    assert matches(parse_query(QUERY), text) is expected


def test_implicit_and_prefix_and_minus() -> None:
    q = parse_query("kestrel home* -falcon")
    assert matches(q, "Kestrel homes are smart")
    assert not matches(q, "a kestrel falcon at home")
    assert not matches(q, "kestrel only")


@pytest.mark.parametrize("bad", ["", "(a OR b", 'a "unclosed', "a OR", "NOT"])
def test_bad_queries_are_rejected_with_a_reason(bad: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse_query(bad)
