"""Secrets out of URLs, task keys and messages before they reach a log, metadata, an error or the store.

One redaction for every place a URL or a task key is shown or stored: secret-named query values,
userinfo, and every value the config took from the environment into a URL's query or userinfo
(``?t=${FEED_TOKEN}``, ``user:${PW}@host``) are masked as ``***``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

_SECRET_SUFFIXES = ("key", "token", "secret", "password", "passwd", "signature", "credential")
_SECRET_NAMES = frozenset({"sig", "auth", "authorization", "pwd", "session", "sessionid"})
_URL_IN_TEXT = re.compile(r"https?://[^\s'\"<>]+")
_MIN_SECRET = 8  # shorter values ("en", "acme") would mask ordinary text and change unrelated task keys

_lock = threading.Lock()
_secret_values: frozenset[str] = frozenset()


def _is_secret(name: str) -> bool:
    key = re.sub(r"[-_.]", "", name.lower())
    return key in _SECRET_NAMES or key.endswith(_SECRET_SUFFIXES)


def register_secret(value: str) -> None:
    """Mask ``value`` (and its URL-encoded forms) wherever a URL or message is redacted from now on.

    The config calls this for each environment value it puts into a URL's query or userinfo, so a
    token is masked even under a parameter name that does not look secret.
    """
    if len(value) < _MIN_SECRET:
        return
    global _secret_values
    with _lock:
        _secret_values = _secret_values | {value, quote(value, safe=""), quote_plus(value)}


def _mask_known(text: str) -> str:
    for value in sorted(_secret_values, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    return text


def redact_url(url: str, *, link: bool = False) -> str:
    """The URL with secret query values and userinfo masked, for messages, logs and keys.

    A ``link`` that people follow (a Slack post) drops the userinfo instead: their browser asks for it.

    >>> redact_url("https://u:pw@api.example.com/x?q=brand&api_key=abc&access_token=t&page=2")
    'https://u:***@api.example.com/x?q=brand&api_key=***&access_token=***&page=2'
    >>> redact_url("https://ghp_t0ken@git.example.com/feed.atom")
    'https://***@git.example.com/feed.atom'
    >>> redact_url("https://team:pw@digests.example.com/2026-W48.html", link=True)
    'https://digests.example.com/2026-W48.html'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        if link:
            netloc = hostport
        else:
            netloc = f"{user}:***@{hostport}" if colon else f"***@{hostport}"  # a lone user part is often a token
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_is_secret(k) for k, _ in pairs):
            query = urlencode([(k, "***" if _is_secret(k) else v) for k, v in pairs], safe="*")
    return _mask_known(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def redact_text(text: str) -> str:
    """Redact every URL inside free text (e.g. a foreign exception message), and every known secret.

    >>> redact_text("failed: https://x.test/a?token=s3cret now")
    'failed: https://x.test/a?token=*** now'
    """
    return _mask_known(_URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text))


def secret_free_key(key: str, unexpanded: Mapping[str, str] | None = None) -> str:
    """A task key safe to show and store, stable while the secret in it rotates.

    A key without secrets is returned unchanged (existing cursors keep their rows). A key with one
    is redacted and suffixed with a hash of its config form: ``unexpanded`` maps each expanded config
    string to its ``${VAR}`` form, so the hash covers ``${FEED_TOKEN}``, not the token.

    >>> secret_free_key("rss:https://x.test/feed")
    'rss:https://x.test/feed'
    >>> forms = {"https://x.test/feed?token=s3cret": "https://x.test/feed?token=${FEED_TOKEN}"}
    >>> secret_free_key("rss:https://x.test/feed?token=s3cret", forms)
    'rss:https://x.test/feed?token=*** #bc362450fa79'
    """
    shown = redact_text(key)
    if shown == key:
        return key
    form = key
    for expanded, raw in sorted((unexpanded or {}).items(), key=lambda item: len(item[0]), reverse=True):
        if expanded and expanded in form:
            form = form.replace(expanded, raw)
    return f"{shown} #{hashlib.sha256(form.encode()).hexdigest()[:12]}"


class RedactingFilter(logging.Filter):
    """Redacts a record's rendered message, for loggers we do not write ourselves (httpx logs every URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        shown = redact_text(message)
        if shown != message:
            record.msg, record.args = shown, None
        return True


#: Third-party loggers that print request URLs; filters do not inherit, so each is named.
FOREIGN_LOGGERS = ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy")


def redact_foreign_logs() -> None:
    """Put :class:`RedactingFilter` on the HTTP libraries' loggers (idempotent)."""
    for name in FOREIGN_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())
