"""listening: brand and competitor listening on public data."""

__version__ = "0.1.0"
