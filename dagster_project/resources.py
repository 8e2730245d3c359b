"""Resources wrap the library's objects; secrets and paths are bound at wiring time."""


from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg

from listening.config import ListeningConfig
from listening.http import HttpClient
from listening.pipeline import http_client, open_config, open_store
from listening.store import Store


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
