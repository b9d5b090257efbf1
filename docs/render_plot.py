#!/usr/bin/env python3
"""Renders docs/per_child_cost.png from the output of the bench report:

    cargo run --release --example bench_report > docs/bench_report.txt
    python3 docs/render_plot.py docs/bench_report.txt docs/per_child_cost.png

One group of horizontal bars per way of running the job (ns per child at
bound 100: children ready at once, pending once, and, when the report has
them, woken by another thread). Needs matplotlib
(`pip install matplotlib`).
"""
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def parse(path):
    """{(kind, bound): [(way, ns per child), ...]} from the report's text."""
    figures, section = {}, None
    for line in open(path):
        header = re.match(r"== children (.+), bound (\d+)", line)
        if header:
            section = (header.group(1), int(header.group(2)))
            continue
        row = re.match(r"   (\S.*?)\s{2,}([\d.]+)$", line.rstrip())
        if section and row and not line.strip().startswith("ratio"):
            figures.setdefault(section, []).append((row.group(1), float(row.group(2))))
    return figures


def render(figures, out, bound=100):
    kinds = [k for k in ["ready", "pending once", "woken by another thread"] if (k, bound) in figures]
    colors = ["#4878a8", "#e8943a", "#6a9f58"]
    ways = [way for way, _ in figures[(kinds[0], bound)]]
    fig, ax = plt.subplots(figsize=(10, 0.2 * len(kinds) * len(ways) + 1.5))
    height = 0.8 / len(kinds)
    for k, (kind, color) in enumerate(zip(kinds, colors)):
        values = dict(figures[(kind, bound)])
        shown = [w for w in ways if w in values]
        ys = [ways.index(w) + (k - (len(kinds) - 1) / 2) * height for w in shown]
        bars = ax.barh(ys, [values[w] for w in shown], height, label=f"children {kind}", color=color)
        ax.bar_label(bars, fmt="%.0f", fontsize=7, padding=2)
    ax.set_yticks(range(len(ways)))
    ax.set_yticklabels(ways, fontsize=9)
    for label in ax.get_yticklabels():
        if label.get_text().startswith("fanout"):
            label.set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xlabel("ns per child (lower is better)")
    ax.set_title(f"bound {bound}, futures::executor::block_on (tokio: its own runtime), median ns per child", fontsize=10)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    render(parse(sys.argv[1]), sys.argv[2])
