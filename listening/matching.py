"""Brand query language and matching.

Queries look like the boolean searches of commercial listening tools::

    (orbitly OR 오르비틀리 OR "orbitly hub") NOT "orbitly coin" -scam

``AND`` (also implicit between terms), ``OR``, ``NOT`` / a leading ``-``,
parentheses, quoted phrases and a trailing ``*`` for prefixes. Matching is done
on NFKC-normalised, case-folded text. Latin-script terms need word boundaries
(``orbit`` does not match ``orbitly``) but a CJK neighbour counts as a boundary
(``Orbitly의``, ``Orbitlyのアプリ``); CJK terms match as substrings because
those languages do not separate words with spaces.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from listening.errors import ConfigError

__all__ = ["Query", "QuerySyntaxError", "normalize_text", "parse_query", "phrase_pattern"]

_LATIN_WORD = r"0-9a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_CJK = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([^\s()"]+))')


class QuerySyntaxError(ConfigError):
    """A brand query cannot be parsed."""


def normalize_text(text: str) -> str:
    """NFKC + case folding, so full-width, ligatures and case never hide a match.

    >>> normalize_text("ＯＲＢＩＴＬＹ Hub")
    'orbitly hub'
    """
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Term:
    text: str
    prefix: bool = False
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # compiled once: brands match every fetched mention
        object.__setattr__(self, "pattern", _term_pattern(self.text, self.prefix))

    def matches(self, text: str) -> bool:
        return self.pattern.search(text) is not None


@dataclass(frozen=True)
class Not:
    operand: "Query"

    def matches(self, text: str) -> bool:
        return not self.operand.matches(text)


@dataclass(frozen=True)
class And:
    operands: tuple["Query", ...]

    def matches(self, text: str) -> bool:
        return all(op.matches(text) for op in self.operands)


@dataclass(frozen=True)
class Or:
    operands: tuple["Query", ...]
    pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Alternatives that are all terms (a brand's aliases) become one regex: one scan instead of one per alias."""
        terms = all(isinstance(op, Term) for op in self.operands)
        joined = "|".join(f"(?:{op.pattern.pattern})" for op in self.operands) if terms else None  # type: ignore[union-attr]
        object.__setattr__(self, "pattern", re.compile(joined) if joined else None)

    def matches(self, text: str) -> bool:
        if self.pattern is not None:
            return self.pattern.search(text) is not None
        return any(op.matches(text) for op in self.operands)


Query = Term | Not | And | Or


@lru_cache(maxsize=4096)
def _term_pattern(term: str, prefix: bool) -> re.Pattern[str]:
    escaped = re.escape(term).replace(r"\ ", r"\s+")
    if _CJK.search(term):
        return re.compile(escaped)
    head = rf"(?<![{_LATIN_WORD}])" if re.match(rf"[{_LATIN_WORD}]", term) else ""
    tail = "" if prefix or not re.search(rf"[{_LATIN_WORD}]$", term) else rf"(?![{_LATIN_WORD}])"
    return re.compile(head + escaped + tail)


def phrase_pattern(phrase: str) -> str:
    """Regex source matching ``phrase`` in normalised text exactly as a quoted brand term does.

    >>> import re; bool(re.search(phrase_pattern("Orbitly"), "orbitly의 앱")), bool(re.search(phrase_pattern("Orbit"), "orbitly"))
    (True, False)
    """
    return _term_pattern(" ".join(normalize_text(phrase).split()), False).pattern


def matches(query: Query, text: str) -> bool:
    """Does ``text`` (any script) satisfy ``query``?

    >>> q = parse_query('(orbitly OR 오르비틀리) NOT "orbitly coin"')
    >>> [matches(q, t) for t in ["Orbitly의 허브가 꺼졌다", "Buy ORBITLY COIN now", "orbitlyfan"]]
    [True, False, False]
    """
    return query.matches(normalize_text(text))


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = self._tokenize(source)
        self.pos = 0

    def _tokenize(self, source: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        pos = 0
        source = source.rstrip()
        while pos < len(source):
            m = _TOKEN.match(source, pos)
            if m is None:
                raise QuerySyntaxError(f"unbalanced quote in query {self.source!r}")
            pos = m.end()
            if m.group(1):
                tokens.append(("(", "("))
            elif m.group(2):
                tokens.append((")", ")"))
            elif m.group(3) is not None:
                tokens.append(("phrase", m.group(3)))
            else:
                word = m.group(4)
                if word in ("AND", "OR", "NOT"):
                    tokens.append((word, word))
                elif word.startswith("-") and len(word) > 1:
                    tokens.append(("NOT", "-"))
                    tokens.append(("word", word[1:]))
                else:
                    tokens.append(("word", word))
        if source.count('"') % 2:
            raise QuerySyntaxError(f"unbalanced quote in query {self.source!r}")
        return tokens

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Query:
        if not self.tokens:
            raise QuerySyntaxError("empty query")
        node = self.parse_or()
        if self.peek() is not None:
            raise QuerySyntaxError(f"unexpected {self.tokens[self.pos][1]!r} in query {self.source!r}")
        return node

    def parse_or(self) -> Query:
        operands = [self.parse_and()]
        while self.peek() == "OR":
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Query:
        operands = [self.parse_unary()]
        while self.peek() in ("AND", "NOT", "(", "phrase", "word"):
            if self.peek() == "AND":
                self.take()
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_unary(self) -> Query:
        kind = self.peek()
        if kind == "NOT":
            self.take()
            return Not(self.parse_unary())
        if kind == "(":
            self.take()
            node = self.parse_or()
            if self.peek() != ")":
                raise QuerySyntaxError(f"missing ')' in query {self.source!r}")
            self.take()
            return node
        if kind in ("word", "phrase"):
            _, value = self.take()
            prefix = kind == "word" and value.endswith("*") and len(value) > 1
            text = normalize_text(value.rstrip("*") if prefix else value).strip()
            if not text:
                raise QuerySyntaxError(f"empty term in query {self.source!r}")
            return Term(" ".join(text.split()), prefix)
        found = "end of query" if kind is None else repr(self.tokens[self.pos][1])
        raise QuerySyntaxError(f"expected a term, '(' or NOT but found {found} in query {self.source!r}")


@lru_cache(maxsize=1024)
def parse_query(source: str) -> Query:
    """Parse a boolean brand query (cached: query trees are immutable and brands re-read theirs per mention).

    >>> parse_query('orbitly -coin')
    And(operands=(Term(text='orbitly', prefix=False), Not(operand=Term(text='coin', prefix=False))))
    """
    return _Parser(source).parse()
