"""`listening config check`: everything a config would fail on later, found now.

Loading (:func:`~listening.config.load_config`) already refuses what can never work (an unknown
field, a time zone that is not IANA, an account platform nothing fetches). This adds what needs
the running environment (the Slack secret) and what works but is probably not meant: warnings
that do not change the exit code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from listening.config import REPLAY_VAR, ListeningConfig, load_config
from listening.language import MODEL_LANGUAGES

__all__ = ["ConfigReport", "check_config", "config_warnings"]

#: The variable ``listening demo`` and a config-less ``listening fetch`` set to the replay server's address.
#: Mistakes seen for language codes, with the code meant.
_LIKELY = {"kr": "ko", "jp": "ja", "cn": "zh", "english": "en", "korean": "ko", "japanese": "ja"}


@dataclass(frozen=True)
class ConfigReport:
    """A config that loaded, its number of source tasks, and what the user should read about it."""

    config: ListeningConfig
    tasks: int
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def config_warnings(config: ListeningConfig) -> list[str]:
    """What loads and runs but probably does not do what the author meant."""
    found = []
    if config.own_brand is None:
        found.append("brands: no brand has `own: true`, so no crisis alert or reach change is ever posted to Slack "
                     "(only the own brand pages) and the digest compares competitors with nobody; mark the brand you "
                     "listen for with `own: true`")
    for code in config.languages:
        if code not in MODEL_LANGUAGES:
            hint = f" (did you mean {_LIKELY[code.lower()]!r}?)" if code.lower() in _LIKELY else ""
            found.append(f"languages: {code!r} is not a language the sentiment model knows{hint}; "
                         f"known: {', '.join(MODEL_LANGUAGES)} (ISO 639-1 codes)")
    return found


def check_config(path: str | Path) -> ConfigReport:
    """Load ``path`` as every command would, plus the environment checks; warnings do not fail it.

    ``${REPLAY_URL}`` left unset is checked with a placeholder and a note, since the demo sets it.
    """
    from listening.pipeline import REPLAY_PORT, require_slack
    from listening.sources.plan import plan_tasks

    placeholder = f"http://127.0.0.1:{REPLAY_PORT}"
    config = load_config(path, unset={REPLAY_VAR: placeholder})
    require_slack(config)
    notes = []
    if REPLAY_VAR not in os.environ and any(f"${{{REPLAY_VAR}}}" in form for form in config.unexpanded.values()):
        notes.append(f"${{{REPLAY_VAR}}} is not set; checked as {placeholder}. `listening demo` and `listening "
                     f"fetch` without --config set it to the offline replay server they start; to fetch with this "
                     f"file yourself, run `python -m listening.replay.server` and export the {REPLAY_VAR} it prints")
    return ConfigReport(config, len(plan_tasks(config)), notes, config_warnings(config))
