"""Secrets out of URLs and messages before they reach a log, metadata or an error."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_SUFFIXES = ("key", "token", "secret", "password", "passwd", "signature", "credential")
_SECRET_NAMES = frozenset({"sig", "auth", "authorization", "pwd", "session", "sessionid"})
_URL_IN_TEXT = re.compile(r"https?://[^\s'\"<>]+")


def _is_secret(name: str) -> bool:
    key = re.sub(r"[-_.]", "", name.lower())
    return key in _SECRET_NAMES or key.endswith(_SECRET_SUFFIXES)


def redact_url(url: str) -> str:
    """The URL with secret query values and userinfo passwords masked, for messages and logs.

    >>> redact_url("https://u:pw@api.example.com/x?q=brand&api_key=abc&access_token=t&page=2")
    'https://u:***@api.example.com/x?q=brand&api_key=***&access_token=***&page=2'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}:***@{hostport}" if colon else netloc
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_is_secret(k) for k, _ in pairs):
            query = urlencode([(k, "***" if _is_secret(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Redact every URL inside free text (e.g. a foreign exception message).

    >>> redact_text("failed: https://x.test/a?token=s3cret now")
    'failed: https://x.test/a?token=*** now'
    """
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)

