"""The one sanitiser for text taken from the web, before it reaches a terminal, Markdown, HTML or Slack.

Posts can carry characters that are invisible yet act: C0 and C1 controls (ESC and U+009B, the
one-byte CSI, drive a terminal: colours, cursor moves, a fake prompt), bidi overrides and isolates
that show ``evil\u202etxt.exe`` as ``evilexe.txt``, zero-width and tag characters that hide words,
and lone surrogates that make UTF-8 encoding fail. Every surface drops the same set: Unicode
categories Cc, Cf and Cs (tab and line feed kept where the surface shows several lines).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean", "strip_invisible"]

#: Unicode 14 categories Cc (controls, C0 and C1), Cf (format: bidi, zero-width, tags) and Cs (surrogates).
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
#: Controls that str.split() takes for whitespace: one-line text turns them into a space, not nothing.
_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85"


def strip_invisible(text: str, keep: str = "\n\t") -> str:
    r"""``text`` without invisible characters, except those in ``keep`` (line feed and tab by default).

    >>> strip_invisible("a\x1b[31mred\u009b2Jb\u202e\r\n")
    'a[31mred2Jb\n'
    """
    return _INVISIBLE.sub(lambda m: m.group() if m.group() in keep else "", str(text))


def clean(text: str, limit: int = 200) -> str:
    """One line of display text: NFC, invisible characters dropped, whitespace collapsed, cut to ``limit``.

    >>> clean("evil\u202etxt.exe  \\n next\u009b\\rline", 40)
    'eviltxt.exe next line'
    >>> clean("x" * 10, 5)
    'xxxx…'
    """
    text = " ".join(strip_invisible(unicodedata.normalize("NFC", text or ""), keep=_SPACES).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
