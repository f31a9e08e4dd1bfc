#!/usr/bin/python3
"""Markdown tables from chorus-bench JSON lines (as scripts/bench-all writes
them), one table per label, one row per load point, each figure the median
over the runs at that point (so a row need not be one run). A table's heading
names the machine its runs were measured on.

    scripts/bench-table.py results.jsonl [--label direct-normal ...]
"""

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

LOAD = {"direct": "rate", "room": "rate", "connect": "connections", "recover": "users"}


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=1):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def lat(run, hist, p):
    h = run.get("latency_us", {}).get(hist)
    return h[p] / 1000.0 if h and p in h else None


def columns(scenario):
    ms = lambda hist, p: (lambda r: lat(r, hist, p))
    d = lambda k: (lambda r: r.get("derived", {}).get(k))
    g = lambda k: (lambda r: r.get("gauges", {}).get(k))
    c = lambda k: (lambda r: r.get("counters", {}).get(k))
    if scenario == "connect":
        return [("handshakes/s", d("handshakes_per_s"), 0),
                ("handshake p50 / p99 / max (ms)", None, None),
                ("RSS B/conn (ready)", d("rss_bytes_per_conn"), 0),
                ("RSS B/conn (end of hold)", d("rss_held_bytes_per_conn"), 0),
                ("logged in", c("logged_in"), 0)]
    if scenario in ("direct", "room"):
        hist = "ack" if scenario == "direct" else "delivery"
        thr = "acked_per_s" if scenario == "direct" else "delivered_per_s"
        per_cpu = "acked_per_server_cpu_s" if scenario == "direct" else "delivered_per_server_cpu_s"
        cols = [("per s", d(thr), 0),
                (f"{hist} p50 / p90 / p99 / p99.9 (ms)", None, hist),
                ("delivery p99 (ms)", ms("delivery", "p99"), 2),
                ("server cores", d("server_cores"), 2),
                ("per server CPU-s", d(per_cpu), 0),
                ("bench CPU (s)", d("cpu_s"), 1)]
        return cols if scenario == "direct" else [x for x in cols if x[0] != "delivery p99 (ms)"]
    if scenario == "recover":
        return [("all caught up (s)", g("recover_s"), 2),
                ("catch-up p50 / p99 (ms)", None, "catchup"),
                ("msgs/s", d("recovered_msgs_per_s"), 0),
                ("server CPU (s)", d("server_cpu_s"), 1)]
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--label", action="append")
    a = ap.parse_args()
    runs = [json.loads(l) for l in Path(a.results).read_text().splitlines() if l.strip()]
    by_label = defaultdict(list)
    for r in runs:
        by_label[r.get("params", {}).get("label", "")].append(r)
    for label, rs in by_label.items():
        if a.label and label not in a.label:
            continue
        scenario = rs[0]["scenario"]
        points = defaultdict(list)
        for r in rs:
            points[r["params"].get(LOAD[scenario])].append(r)
        cols = columns(scenario)
        # The machine(s) that measured it (JSON lines from before chorus-bench
        # recorded it have none).
        boxes = sorted({f"{m.get('cpu_model') or 'CPU model unknown'}, {m.get('cpus')} CPUs"
                        for m in (r.get("machine") for r in rs) if m})
        print(f"\n**{label}** ({scenario}{'; ' + '; '.join(boxes) if boxes else ''})\n")
        print("| load | runs | clean | " + " | ".join(name for name, _, _ in cols) + " |")
        print("|---" * (len(cols) + 3) + "|")
        for load in sorted(points, key=lambda x: float(x)):
            group = points[load]
            clean = sum(1 for r in group if r.get("exit_code") == 0)
            cells = []
            for name, fn, arg in cols:
                if fn is None:
                    hist = arg or ("handshake" if scenario == "connect" else None)
                    ps = ["p50", "p99", "max"] if scenario == "connect" else (
                        ["p50", "p99"] if scenario == "recover" else ["p50", "p90", "p99", "p999"])
                    cells.append(" / ".join(fmt(med([lat(r, hist, p) for r in group]), 2) for p in ps))
                else:
                    cells.append(fmt(med([fn(r) for r in group]), arg))
            print(f"| {fmt(float(load), 0)} | {len(group)} | {clean}/{len(group)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
