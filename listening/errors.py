"""One error tree for the whole library.

Foreign errors (httpx, SQLAlchemy, YAML, ...) are mapped once, at the boundary
where they occur, with ``raise ... from exc``; callers only ever catch
:class:`ListeningError` or one of its children. Messages name what is wrong and
what to do; they never contain secrets.
"""

from __future__ import annotations


class ListeningError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 1


class ConfigError(ListeningError):
    """The listening config (or a user-supplied value) is invalid."""

    exit_code = 2


class InputError(ListeningError):
    """A user-supplied input file or argument is unusable."""

    exit_code = 2


class StoreError(ListeningError):
    """The SQL store cannot be reached or refused a write."""

    exit_code = 3


class SourceError(ListeningError):
    """A public source could not be fetched or parsed."""


class FetchError(SourceError):
    """The HTTP exchange with a source failed after the policy's retries."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class ResponseTooLarge(FetchError):
    """The response body exceeded the policy's size cap."""


class ParseError(SourceError):
    """A payload arrived but its content is malformed."""


class ModelError(ListeningError):
    """The sentiment/topic model cannot be loaded, converted or trained."""


class DeliveryError(ListeningError):
    """An alert or digest could not be delivered (e.g. to Slack)."""
