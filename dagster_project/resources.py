"""Resources wrap the library's objects; secrets and paths are bound at wiring time."""


import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

import dagster as dg

from listening.config import ListeningConfig
from listening.http import HttpClient
from listening.nlp.scoring import Scorer, get_scorer, model_id_of
from listening.pipeline import http_client, open_config, open_store
from listening.slack import SlackClient, SlackConfig
from listening.store import Store
from listening.utc import FROZEN_NOW_ENV, parse_utc


@dataclass
class Session:
    config: ListeningConfig
    store: Store
    client: HttpClient


class ListeningResource(dg.ConfigurableResource):
    """The listening config, store and HTTP client for one step.

    An empty ``config_path`` runs the embedded default: the offline replay on
    127.0.0.1 with the demo config. An empty ``database_url`` means the SQLite
    file under ``$LISTENING_HOME`` (or ``$LISTENING_DATABASE_URL``, read at use
    time: a URL set here is resource config the UI displays, so never put a
    password in it).
    """

    config_path: str = ""
    database_url: str = ""

    @contextmanager
    def session(self) -> Iterator[Session]:
        with open_config(self.config_path or None) as config, http_client(config) as client:
            yield Session(config, open_store(self.database_url or None), client)

    def store(self) -> Store:
        return open_store(self.database_url or None)

    def config(self) -> ListeningConfig:
        with open_config(self.config_path or None) as config:
            return config


def env_var(name: str) -> dg.EnvVar | str:
    """``EnvVar(name)`` when the variable is set where the definitions load, ``""`` when it is not.

    The value is resolved at run time and never becomes resource config the UI shows. An unset
    optional secret (Slack is optional) binds ``""``: Dagster refuses a run whose ``EnvVar`` is unset.
    """
    return dg.EnvVar(name) if os.environ.get(name, "").strip() else ""


class SlackResource(dg.ConfigurableResource):
    """Slack delivery; secrets bound with ``EnvVar`` at wiring (:func:`wired`), none configured means no Slack."""

    webhook_url: str = ""
    bot_token: str = ""
    channel: str = ""
    base_url: str = ""

    def env(self) -> dict[str, str]:
        """The ``LISTENING_SLACK_*`` mapping the library reads (plus where digests are served)."""
        return {"LISTENING_SLACK_WEBHOOK_URL": self.webhook_url, "LISTENING_SLACK_BOT_TOKEN": self.bot_token,
                "LISTENING_SLACK_CHANNEL": self.channel, "LISTENING_SLACK_BASE_URL": self.base_url,
                "LISTENING_DIGEST_BASE_URL": os.environ.get("LISTENING_DIGEST_BASE_URL", "")}

    def configured(self) -> bool:
        return SlackConfig.from_env(self.env()) is not None

    def client(self) -> SlackClient | None:
        """A client (close it: ``with``), or ``None`` when Slack is not configured."""
        return SlackClient.from_env(self.env())


class ModelResource(dg.ConfigurableResource):
    """The scoring model: a head directory or a Hugging Face classifier id/path (``""``: the bundled one)."""

    model: str = ""

    def scorer(self) -> Scorer:
        """The loaded scorer (cached per process; seconds and ~1 GB the first time)."""
        return get_scorer(self.model or None)

    def model_id(self) -> str:
        """The scorer's id, read from the model's config: what a step that only reads scores needs."""
        return model_id_of(self.model or None)


class ClockResource(dg.ConfigurableResource):
    """The pipeline's clock: real UTC time, or the instant ``frozen_at`` (ISO-8601) pins it at."""

    frozen_at: str = ""

    def now(self) -> datetime:
        return parse_utc(self.frozen_at) if self.frozen_at else datetime.now(timezone.utc)


def wired(listening: ListeningResource | None = None) -> dict[str, dg.ConfigurableResource]:
    """Every resource the assets use, secrets and settings bound by ``EnvVar`` from the environment."""
    return {
        "listening": listening or ListeningResource(config_path=os.environ.get("LISTENING_CONFIG", "")),
        "slack": SlackResource(webhook_url=env_var("LISTENING_SLACK_WEBHOOK_URL"),
                               bot_token=env_var("LISTENING_SLACK_BOT_TOKEN"),
                               channel=env_var("LISTENING_SLACK_CHANNEL"), base_url=env_var("LISTENING_SLACK_BASE_URL")),
        "model": ModelResource(model=env_var("LISTENING_MODEL")),
        "clock": ClockResource(frozen_at=env_var(FROZEN_NOW_ENV)),
    }
