"""Configured brand names masked before a text reaches the encoder.

Every mention names a brand, and the name itself moved the model's label
(issue 16): "Orbitly: ..." and "Vantro: ..." must score alike, and alike to the
text without a name. Masking every configured key, name and alias (any script,
matched as the brand queries match them) the same way makes the score
independent of which brand is named.

The default placeholder is nothing: the name goes, with the ``@``/``#``, brackets,
trailing colon or comma, or leading dash that only framed it, so the encoder reads the rest
as if no brand were named. Any word put in its place was measured to move labels
by itself (models/README.md, "Brand names").
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from listening.matching import normalize_text, phrase_pattern

#: Chosen by measurement (models/README.md, "Brand names"): removing the name (and its framing)
#: kept the labels of the bare texts best; "Brand", "브랜드", "ブランド" and an invented name moved them.
PLACEHOLDER = ""


class BrandMask:
    """Replace brand names in texts; build once (one compiled pattern for all names).

    >>> mask = BrandMask(["Orbitly", "오르비틀리", "Kestrel Home"], placeholder="Brand")
    >>> mask.apply("ORBITLY의 앱, 오르비틀리 and kestrel  home @orbitly")
    'Brand의 앱, Brand and Brand @Brand'
    >>> mask.apply("Orbitlyfan"), mask.remove("오르비틀리!!").strip()
    ('Orbitlyfan', '!!')
    >>> [BrandMask(["Orbitly"]).apply(t) for t in ("[Orbitly] Great update", "Great update - Orbitly", "@orbitly hi")]
    ['Great update', 'Great update', 'hi']
    """

    def __init__(self, names: Iterable[str], placeholder: str = PLACEHOLDER) -> None:
        terms = {" ".join(normalize_text(n).split()) for n in names}
        self.names = tuple(sorted((t for t in terms if t), key=lambda t: (-len(t), t)))
        self.placeholder = placeholder
        joined = "|".join(f"(?:{phrase_pattern(t)})" for t in self.names)
        self._pattern = re.compile(joined, re.IGNORECASE) if joined else None
        # Removing a name removes what framed it: a publisher tail " - Name", or "@Name", "#Name", "[Name]",
        # a headline's "Name:" or "오르비틀리, …".
        self._framed = re.compile(rf"\s*[-–—|]\s*(?:{joined})\s*$|(?:[@#]|[\[【]\s*)?(?:{joined})\s*[\]】]?\s*[:,、]?\s*",
                                  re.IGNORECASE) if joined else None

    @property
    def fingerprint(self) -> str:
        """Short digest of the names and placeholder: scores made under another mask are other scores."""
        return hashlib.sha256("\n".join((self.placeholder, *self.names)).encode("utf-8")).hexdigest()[:10]

    def __bool__(self) -> bool:
        return self._pattern is not None

    def apply(self, text: str) -> str:
        """``text`` with every name replaced by the placeholder, or removed with its framing when the
        placeholder is empty (unchanged when no name occurs)."""
        if self.placeholder:
            return self._sub(self._pattern, text, self.placeholder)
        removed = self._sub(self._framed, text, "")
        return removed if removed is text else removed.strip()

    def remove(self, text: str) -> str:
        """``text`` with every name replaced by a space: what is left to judge."""
        return self._sub(self._pattern, text, " ")

    def _sub(self, pattern: re.Pattern[str] | None, text: str, replacement: str) -> str:
        if pattern is None or self._pattern is None:
            return text
        if self._pattern.search(text) is None:
            # Only a compatibility form (full-width letters) can still hide a name. The text is read in NFKC
            # only then: NFKC also rewrites Korean "ㅋㅋ"/"ㅠㅠ" into other code points the encoder reads differently.
            folded = unicodedata.normalize("NFKC", text)
            if folded == text or self._pattern.search(folded) is None:
                return text
            text = folded
        return pattern.sub(lambda _: replacement, text)


def configured_names(path: str | Path | None = None) -> list[str]:
    """Brand names of ``path``, else of ``$LISTENING_CONFIG``, else of the demo config (the CLI's rule)."""
    from listening.config import brand_names
    from listening.replay import DEMO_CONFIG

    return brand_names(path or os.environ.get("LISTENING_CONFIG") or DEMO_CONFIG)


def default_mask(path: str | Path | None = None) -> BrandMask:
    """The mask of the configured brands with :data:`PLACEHOLDER`."""
    return BrandMask(configured_names(path))
