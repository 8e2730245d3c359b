"""A small PNG of normalised engagement rates, baselines and detected changes."""

from __future__ import annotations

import io
from collections.abc import Sequence

import polars as pl

from listening.reach._types import ReachChange

__all__ = ["reach_chart_png"]

_COLOURS = {"platform": "#c0392b", "account": "#2c6fbb"}


def reach_chart_png(series: pl.DataFrame, changes: Sequence[ReachChange], max_panels: int = 8) -> bytes:
    """One panel per platform/account (log scale): posts as dots, baseline as a line, changes as dashed lines.

    Red marks a platform-wide change, blue an account-specific one; at most
    ``max_panels`` panels keep the image small enough for a digest.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import NullFormatter

    keys = series.select("platform", "account").unique().sort("platform", "account").head(max_panels).rows()
    n = max(len(keys), 1)
    fig, axes = plt.subplots(n, 1, figsize=(7, 1.7 * n + 0.4), sharex=True, squeeze=False, dpi=90)
    for ax, (platform, account) in zip(axes[:, 0], keys):
        part = series.filter((pl.col("platform") == platform) & (pl.col("account") == account)).sort("posted_at")
        ax.scatter(part["posted_at"].to_list(), part["rate"].to_list(), s=5, color="#888888", alpha=0.6)
        ax.plot(part["posted_at"].to_list(), part["baseline"].to_list(), color="black", linewidth=1.2)
        mine = [c for c in changes if c.platform == platform and c.account == account]
        for k, c in enumerate(mine):
            colour = _COLOURS.get(c.attribution, "grey")
            ax.axvline(c.changed_at, color=colour, linestyle="--", linewidth=1)
            ax.annotate(f"{c.magnitude:+.0%} {c.attribution}", (c.changed_at, 0.9 - 0.14 * (k % 3)),
                        xycoords=("data", "axes fraction"), xytext=(3, 0), textcoords="offset points",
                        fontsize=7, color=colour)
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"{platform} / {account}", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    if not keys:
        axes[0, 0].text(0.5, 0.5, "no matured posts", ha="center", va="center")
    axes[-1, 0].set_xlabel("posted (UTC)", fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
