#!/usr/bin/env python3
"""Renders the results of bench/run: a table on stdout and the same as markdown.

usage: report.py RUN_DIR MARKDOWN_OUT
RUN_DIR holds results.jsonl (one wrk run a line), rss.txt ("seconds kB" lines) and meta.json,
all written by bench/run. Exits 1 when any target fails, 0 otherwise.
"""
import json
import os
import sys

IDLE_RSS_TARGET_MB = 40
FLAT_TOLERANCE = 0.10  # last soak sample within 10 % of the sample at 15 s
P99_READ_TARGET_MS = 10

# name -> (endpoint, minimum ratio to /healthz, minimum req/s, p99 limit in ms, target text)
ROWS = {
    "healthz": ("GET /healthz", None, None, None, "reference (framework ceiling)"),
    "customer_get": ("GET /api/v1/customers/{id}", 0.60, None, P99_READ_TARGET_MS,
                     "≥ 60 % of /healthz, p99 < 10 ms"),
    "customer_list": ("GET /api/v1/customers?status=lead&limit=20", 0.30, None, P99_READ_TARGET_MS,
                      "≥ 30 % of /healthz, p99 < 10 ms"),
    "customer_post": ("POST /api/v1/customers (synchronous=FULL)", None, 5000, None,
                      "≥ 5,000 req/s"),
}


def ms(us):
    return "n/a" if us is None else f"{us / 1000:.2f} ms"


def evaluate(name, r, ceiling_rps):
    endpoint, min_ratio, min_rps, p99_limit, target = ROWS[name]
    ratio = r["rps"] / ceiling_rps if ceiling_rps else None
    problems = []
    if r["requests"] == 0:
        problems.append("no requests")
    if r["non2xx"]:
        problems.append(f"{r['non2xx']} non-2xx")
    errors = {k: v for k, v in r.get("errors", {}).items() if v and k != "status"}
    if errors:
        problems.append("socket errors " + ", ".join(f"{k} {v}" for k, v in errors.items()))
    if min_ratio is not None and (ratio is None or ratio < min_ratio):
        problems.append(f"ratio < {min_ratio:.0%}")
    if min_rps is not None and r["rps"] < min_rps:
        problems.append(f"< {min_rps:,} req/s")
    if p99_limit is not None and (r.get("p99_us") is None or r["p99_us"] / 1000 >= p99_limit):
        problems.append(f"p99 ≥ {p99_limit} ms")
    if problems:
        verdict = "FAIL (" + "; ".join(problems) + ")"
    elif min_ratio is None and min_rps is None and p99_limit is None:
        verdict = "—"
    else:
        verdict = "PASS"
    return endpoint, ratio, target, verdict


def cpu_per_request(run):
    """Server CPU time per request in µs: steadier than req/s on a shared, noisy box."""
    cpu_s, requests = run.get("server_cpu_s"), run["result"]["requests"]
    return "n/a" if cpu_s is None or not requests else f"{cpu_s / requests * 1e6:.0f} µs"


def table(headers, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    lines = [fmt.format(*headers), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*(str(c) for c in row)) for row in rows]
    return "\n".join(lines)


def main():
    run_dir, md_out = sys.argv[1], sys.argv[2]
    meta = json.load(open(os.path.join(run_dir, "meta.json")))
    runs = [json.loads(l) for l in open(os.path.join(run_dir, "results.jsonl")) if l.strip()]
    by_name = {run["name"]: run for run in runs}
    ceiling = by_name.get("healthz", {}).get("result", {}).get("rps") or 0
    failed = False

    headers = ["endpoint", "req/s", "p50", "p99", "non-2xx", "vs /healthz", "server CPU",
               "CPU/req", "target", "result"]
    rows = []
    status_notes = []
    for name in ROWS:
        if name not in by_name:
            continue
        r = by_name[name]["result"]
        endpoint, ratio, target, verdict = evaluate(name, r, ceiling)
        failed |= verdict.startswith("FAIL")
        rows.append([endpoint, f"{r['rps']:,.0f}", ms(r.get("p50_us")), ms(r.get("p99_us")),
                     f"{r['non2xx']:,}", "n/a" if ratio is None else f"{ratio:.0%}",
                     f"{by_name[name]['server_cpu_pct']}%", cpu_per_request(by_name[name]),
                     target, verdict])
        if r["non2xx"]:
            status_notes.append(f"{endpoint}: statuses {r['statuses']}")

    # RSS
    samples = []
    rss_path = os.path.join(run_dir, "rss.txt")
    if os.path.exists(rss_path):
        samples = [tuple(int(x) for x in l.split()) for l in open(rss_path) if l.strip()]
    idle_mb = meta["idle_rss_kb"] / 1024
    idle_ok = idle_mb < IDLE_RSS_TARGET_MB
    failed |= not idle_ok
    flat_line = "no samples"
    flat_ok = False
    if samples:
        ref = next((kb for t, kb in samples if t >= 15), samples[0][1])
        ref_t = next((t for t, kb in samples if t >= 15), samples[0][0])
        last_t, last = samples[-1]
        change = (last - ref) / ref if ref else 0
        flat_ok = abs(change) <= FLAT_TOLERANCE
        peak = max(kb for _, kb in samples)
        flat_line = (f"{last / 1024:.1f} MB at {last_t} s vs {ref / 1024:.1f} MB at {ref_t} s: "
                     f"{change:+.1%} (peak {peak / 1024:.1f} MB) → "
                     f"{'PASS' if flat_ok else 'FAIL'} (flat = within ±{FLAT_TOLERANCE:.0%})")
    failed |= not flat_ok
    soak = meta.get("soak_result")
    soak_line = "n/a"
    if soak:
        soak_line = (f"{soak['rps']:,.0f} req/s, p50 {ms(soak.get('p50_us'))}, "
                     f"p99 {ms(soak.get('p99_us'))}, non-2xx {soak['non2xx']:,}")
        if soak["non2xx"]:
            failed = True
            status_notes.append(f"soak: statuses {soak['statuses']}")

    setup = (f"{meta['nproc']} cores ({meta['cpu_model']}), kernel {meta['kernel']}; "
             f"wrk -t{meta['threads']} -c{meta['connections']} -d{meta['duration']}s --latency "
             f"after a {meta['warmup']} s warm-up; {meta['customers']:,} seeded customers "
             f"(seed {meta['seed_seconds']} s, database {meta['db_mb']} MB); server threads "
             f"{meta['server_threads']}, db pool {meta['db_pool']}; rate limits off; access log "
             f"to a file ({meta['access_log_lines']:,} lines, {meta['access_log_mb']} MB); "
             f"load average {meta['load_before']} before, {meta['load_after']} after.")
    shared = (f"wrk and the server share the same {meta['nproc']} cores (no pinning): absolute "
              f"req/s are 'server + load generator on one box'; the ratios to /healthz travel "
              f"better. 'server CPU' is the server's CPU time over the run (100% = one core); "
              f"'CPU/req' is that time per request, which moves less than req/s when other work "
              f"shares the box.")
    rss_rows = [
        ["idle RSS after start-up", f"{idle_mb:.1f} MB (anon {meta['idle_anon_kb'] / 1024:.1f}, "
         f"file {meta['idle_file_kb'] / 1024:.1f})", f"< {IDLE_RSS_TARGET_MB} MB",
         "PASS" if idle_ok else "FAIL"],
        ["idle RSS after bootstrap + login", f"{meta['auth_rss_kb'] / 1024:.1f} MB", "info", "—"],
        ["RSS over the soak", flat_line.split(" → ")[0], f"flat within ±{FLAT_TOLERANCE:.0%} of t=15 s",
         "PASS" if flat_ok else "FAIL"],
        ["RSS after the soak", f"{meta['after_rss_kb'] / 1024:.1f} MB (anon "
         f"{meta['after_anon_kb'] / 1024:.1f}, file {meta['after_file_kb'] / 1024:.1f})", "info", "—"],
    ]

    # Terminal
    print()
    print(f"Rapport core API benchmark — {meta['date']}, commit {meta['commit']}")
    print(setup)
    print("NOTE: " + shared)
    print("POST /api/v1/customers ran with RAPPORT_SQLITE_SYNC=full, i.e. PRAGMA synchronous=FULL "
          "(the default): every acknowledged insert is fsynced.")
    print()
    print(table(headers, rows, markdown=False))
    for note in status_notes:
        print("  non-2xx → " + note)
    print()
    print(f"RSS soak: GET /api/v1/customers/{{id}} for {meta['soak']} s ({soak_line})")
    print("  samples: " + ", ".join(f"{t}s={kb / 1024:.1f}MB" for t, kb in samples))
    print()
    print(table(["memory", "measured", "target", "result"], rss_rows, markdown=False))
    print()
    print("OVERALL: " + ("FAIL" if failed else "PASS"))

    # Markdown
    md = [
        f"# Rapport core API benchmark",
        "",
        f"- date: {meta['date']}, commit {meta['commit']}",
        f"- command: `{meta['command']}`",
        f"- setup: {setup}",
        f"- note: {shared}",
        "- `POST /api/v1/customers` ran with `RAPPORT_SQLITE_SYNC=full` (`PRAGMA synchronous=FULL`,"
        " the default): every acknowledged insert is fsynced.",
        "",
        table(headers, rows, markdown=True),
        "",
    ]
    md += [f"- non-2xx → {n}" for n in status_notes]
    md += [
        "",
        f"RSS soak: `GET /api/v1/customers/{{id}}` for {meta['soak']} s ({soak_line}).",
        "",
        table(["t (s)"] + [str(t) for t, _ in samples],
              [["VmRSS (MB)"] + [f"{kb / 1024:.1f}" for _, kb in samples]], markdown=True)
        if samples else "(no samples)",
        "",
        table(["memory", "measured", "target", "result"], rss_rows, markdown=True),
        "",
        f"**Overall: {'FAIL' if failed else 'PASS'}**",
        "",
    ]
    os.makedirs(os.path.dirname(md_out), exist_ok=True)
    with open(md_out, "w") as f:
        f.write("\n".join(md))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
