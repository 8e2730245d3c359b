"""Thin Dagster layer over the `listening` library."""
