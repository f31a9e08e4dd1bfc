#!/usr/bin/python3
"""Plots chorus-bench results: throughput and latency percentiles against the
offered load, one SVG per scenario, from the JSON lines `chorus-bench --json`
appends. Uses matplotlib when it is installed, else writes the SVG by hand.
Runs that did not exit 0 are left out.

    scripts/bench-plot.py results.jsonl [--out docs] [--scenario direct]
        [--where msg_id=false] [--where 'label=direct-normal|room'] [--label-key label]

For direct and room the load is params.rate; for connect it is
params.connections; for recover params.users. Several runs at one load are
reduced to their median.
"""

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

LOAD_KEY = {"direct": "rate", "room": "rate", "connect": "connections", "recover": "users"}
THROUGHPUT = {"direct": ("acked_per_s", "acked msgs/s"), "room": ("delivered_per_s", "deliveries/s"),
              "connect": ("handshakes_per_s", "handshakes/s"), "recover": ("recovered_msgs_per_s", "msgs/s")}
LATENCY = {"direct": "ack", "room": "delivery", "connect": "handshake", "recover": "catchup"}
PERCENTILES = [("p50", "#1f77b4"), ("p90", "#2ca02c"), ("p99", "#ff7f0e"), ("p999", "#d62728")]
DASHES = {"p50": "", "p90": "2,2", "p99": "6,3", "p999": "1,4"}


def load(path):
    runs = []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line:
            try:
                runs.append(json.loads(line))
            except json.JSONDecodeError:
                print(f"skipping a bad line: {line[:60]}", file=sys.stderr)
    return runs


def matches(run, where):
    """where: ["key=value", ...] on params; values compare as JSON text or plain
    text; "key=a|b" matches either."""
    for cond in where or []:
        key, _, wants = cond.partition("=")
        have = run["params"].get(key)
        if have is None or not any(json.dumps(have) == w or str(have) == w for w in wants.split("|")):
            return False
    return True


def series(runs, scenario, label_key=None, where=None):
    """{label: [(load, throughput, {pXX: ms})]} with the median per load."""
    groups = defaultdict(lambda: defaultdict(list))
    for r in runs:
        if r.get("scenario") != scenario or not matches(r, where) or r.get("exit_code", 0) != 0:
            continue
        load_v = r["params"].get(LOAD_KEY[scenario])
        if load_v is None:
            continue
        label = str(r["params"].get(label_key or "label", ""))
        groups[label][float(load_v)].append(r)
    out = {}
    for label, by_load in groups.items():
        pts = []
        for load_v in sorted(by_load):
            rs = by_load[load_v]
            tput = statistics.median(r["derived"].get(THROUGHPUT[scenario][0], 0.0) for r in rs)
            lat = {}
            for p, _ in PERCENTILES:
                vals = [r["latency_us"].get(LATENCY[scenario], {}).get(p) for r in rs]
                vals = [v for v in vals if v is not None]
                lat[p] = statistics.median(vals) / 1000.0 if vals else 0.0
            pts.append((load_v, tput, lat))
        out[label] = pts
    return out


def svg_panel(x0, y0, w, h, title, xlabel, ylabel, lines):
    """lines: [(name, colour, [(x, y)], dash)] -> SVG elements of one panel."""
    xs = [x for _, _, pts, _ in lines for x, _ in pts] or [0, 1]
    ys = [y for _, _, pts, _ in lines for _, y in pts] or [0, 1]
    xmin, xmax = min(0.0, min(xs)), max(xs) or 1.0
    ymax = max(ys) * 1.1 or 1.0
    sx = lambda x: x0 + 50 + (x - xmin) / ((xmax - xmin) or 1) * (w - 70)
    sy = lambda y: y0 + h - 40 - y / ymax * (h - 70)
    e = [f'<text x="{x0 + w / 2}" y="{y0 + 18}" text-anchor="middle" font-size="14">{title}</text>',
         f'<line x1="{sx(xmin)}" y1="{sy(0)}" x2="{sx(xmax)}" y2="{sy(0)}" stroke="black"/>',
         f'<line x1="{sx(xmin)}" y1="{sy(0)}" x2="{sx(xmin)}" y2="{sy(ymax)}" stroke="black"/>',
         f'<text x="{x0 + w / 2}" y="{y0 + h - 5}" text-anchor="middle" font-size="12">{xlabel}</text>',
         f'<text x="{x0 + 12}" y="{y0 + h / 2}" font-size="12" transform="rotate(-90 {x0 + 12} {y0 + h / 2})" '
         f'text-anchor="middle">{ylabel}</text>']
    for i in range(5):
        yv = ymax * i / 4
        e.append(f'<text x="{sx(xmin) - 4}" y="{sy(yv) + 4}" text-anchor="end" font-size="10">{yv:.3g}</text>')
        xv = xmin + (xmax - xmin) * i / 4
        e.append(f'<text x="{sx(xv)}" y="{sy(0) + 14}" text-anchor="middle" font-size="10">{xv:.3g}</text>')
    for n, (name, colour, pts, dash) in enumerate(lines):
        if not pts:
            continue
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        e.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        for x, y in pts:
            e.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>')
        e.append(f'<text x="{x0 + w - 10}" y="{y0 + 36 + 14 * n}" text-anchor="end" font-size="11" '
                 f'fill="{colour}">{name}</text>')
    return e


def plot_svg(scenario, data, out):
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    tput_lines, lat_lines = [], []
    for i, (label, pts) in enumerate(sorted(data.items())):
        tag = f" {label}" if label else ""
        tput_lines.append((f"{THROUGHPUT[scenario][1]}{tag}", palette[i % len(palette)],
                           [(x, t) for x, t, _ in pts], ""))
        for p, colour in PERCENTILES:
            # One label: a colour per percentile; several: a colour per label, a dash per percentile.
            lat_lines.append((f"{p}{tag}", colour if len(data) == 1 else palette[i % len(palette)],
                              [(x, lat[p]) for x, _, lat in pts], "" if len(data) == 1 else DASHES[p]))
    w, h = 460, 320
    body = svg_panel(0, 0, w, h, f"{scenario}: throughput", LOAD_KEY[scenario], THROUGHPUT[scenario][1], tput_lines)
    body += svg_panel(w, 0, w, h, f"{scenario}: {LATENCY[scenario]} latency", LOAD_KEY[scenario], "ms", lat_lines)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * w}" height="{h}" font-family="sans-serif">'
           f'<rect width="100%" height="100%" fill="white"/>' + "".join(body) + "</svg>\n")
    out.write_text(svg)


def plot_matplotlib(scenario, data, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    for label, pts in sorted(data.items()):
        xs = [x for x, _, _ in pts]
        a.plot(xs, [t for _, t, _ in pts], marker="o", label=f"{THROUGHPUT[scenario][1]} {label}".strip())
        for p, colour in PERCENTILES:
            b.plot(xs, [lat[p] for _, _, lat in pts], marker="o", label=f"{p} {label}".strip())
    a.set(title=f"{scenario}: throughput", xlabel=LOAD_KEY[scenario], ylabel=THROUGHPUT[scenario][1])
    b.set(title=f"{scenario}: {LATENCY[scenario]} latency", xlabel=LOAD_KEY[scenario], ylabel="ms")
    a.legend(fontsize=8)
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, format="svg")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jsonl")
    ap.add_argument("--out", default="docs", help="folder for bench-<scenario>.svg")
    ap.add_argument("--scenario", action="append", help="only these (repeatable)")
    ap.add_argument("--label-key", help="the params key that splits runs into lines (default: label, from chorus-bench --label)")
    ap.add_argument("--where", action="append", help="only runs whose params match KEY=VALUE (repeatable)")
    args = ap.parse_args()
    runs = load(args.jsonl)
    try:
        import matplotlib  # noqa: F401
        plot = plot_matplotlib
    except ImportError:
        plot = plot_svg
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for scenario in args.scenario or sorted({r.get("scenario") for r in runs} & set(LOAD_KEY)):
        data = series(runs, scenario, args.label_key, args.where)
        if not data:
            continue
        path = out_dir / f"bench-{scenario}.svg"
        plot(scenario, data, path)
        print(path)


if __name__ == "__main__":
    main()
