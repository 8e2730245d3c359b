"""Brand names put into labelled texts: training copies, and the robustness check.

Every real mention names a brand, while the labelled corpora rarely do; a head
that never saw names in training let a prefix such as "Zentrik: " move its
labels (issue 16). Training therefore adds copies of some texts with an invented
brand inserted, and evaluation scores texts with and without ``CHECK_BRAND`` to
measure what a name still changes. The check's brand is not in the training pool.
"""

from __future__ import annotations

import hashlib

CHECK_BRAND = "Zentrik"

# Invented names in the scripts mentions use; none is a demo brand or the check's brand.
TRAINING_BRANDS = (
    "Novari", "Kestora", "Brightlane", "Pixelwise", "Veltrix", "Quorra", "Halvik", "Lumetra",
    "Acme Cloud", "Tandem AI", "루미나", "넥스트온", "하이브릭스", "모아페이", "クロノス",
    "ミライテック", "ソラリス", "ナビット", "Orbix", "Sundial",
)

# Where a name appears in real mentions: a headline prefix, a tag, a mention, a publisher tail.
STYLES = (
    "{brand}: {text}",
    "{brand} {text}",
    "[{brand}] {text}",
    "@{brand} {text}",
    "{text} #{brand}",
    "{text} - {brand}",
)


def _pick(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % n


def with_brand(text: str, brand: str = CHECK_BRAND, style: str = STYLES[0]) -> str:
    """``text`` with ``brand`` put in by ``style``.

    >>> with_brand("Great update")
    'Zentrik: Great update'
    """
    return style.format(brand=brand, text=text)


def augmented(text: str) -> str:
    """A deterministic brand-named variant of ``text`` (brand and style chosen by its hash).

    >>> augmented("Great update") == augmented("Great update") != "Great update"
    True
    """
    brand = TRAINING_BRANDS[_pick("brand:" + text, len(TRAINING_BRANDS))]
    style = STYLES[_pick("style:" + text, len(STYLES))]
    return with_brand(text, brand, style)
