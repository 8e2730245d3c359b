"""One HTTP policy for every connector.

Public sources throttle, flake and occasionally send garbage; every connector
gets the same answer to that here instead of its own: connect/read timeouts,
bounded retries with backoff and jitter, ``Retry-After``, per-host politeness,
conditional GET, a response size cap counted on decoded bytes, a descriptive
User-Agent, and errors that never leak secrets. httpx exceptions are mapped
once, here, to :mod:`listening.errors`.
"""

from listening.http._client import HttpClient, Response
from listening.http._policy import HttpPolicy, Politeness, Retry, Timeouts, user_agent
from listening.http._redact import redact_foreign_logs, redact_text, redact_url, register_secret, secret_free_key

__all__ = [
    "HttpClient",
    "HttpPolicy",
    "Politeness",
    "Response",
    "Retry",
    "Timeouts",
    "redact_text",
    "redact_url",
    "register_secret",
    "secret_free_key",
    "user_agent",
]

redact_foreign_logs()
