"""Every benchmark at two (or more) sizes side by side, with the ratio between them; a table and JSON.

    .venv/bin/python bench/run.py --sizes 10000,1000000 --database-url postgresql://127.0.0.1:5432/test

Each size gets a PostgreSQL schema of its own (an SQLite file without --database-url), filled
by bench/generate.py. Each benchmark then runs in a process of its own, so the peak memory
printed under it is its own: generate, the city sweep, the member list, a street's month of
bulletins, the 100,000-row import, reminder delivery beside a no-op Celery task, and a whole month
of the city (the period's indicators, then every bulletin on two worker processes).
"""
import argparse
import json
from pathlib import Path
import subprocess
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import database_for, peak_mb, result  # noqa: E402

BENCHMARKS = {
    "generate": ("generate", "generate"),
    "sweep": ("sweep", "measure"),
    "member_list": ("member_list", "measure"),
    "bulletins": ("bulletins", "measure"),
    "roster_import": ("roster_import", "measure"),
    "delivery": ("delivery", "measure"),
    "month": ("month", "measure"),
}


def run_one(name, database_url, size):
    """Run one benchmark in a fresh interpreter; its measurements plus its peak memory."""
    completed = subprocess.run([sys.executable, __file__, "--one", name, "--database-url", database_url,
                                "--size", str(size)], stdout=subprocess.PIPE, text=True)
    if completed.returncode:
        return {f"{name}_failed": {"value": completed.returncode, "unit": "exit status", "statements": None}}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def one(name, database_url, size):
    module_name, function = BENCHMARKS[name]
    module = __import__(module_name)
    args = (database_url, size) if name == "generate" else (database_url,)
    out = getattr(module, function)(*args)
    out[f"{name}_peak_memory"] = result(peak_mb(), "MB")
    print(json.dumps(out, ensure_ascii=False), flush=True)


def measure(size, base_url, names):
    database_url, drop = database_for(size, base_url)
    results = {}
    try:
        for name in ["generate", *names]:
            print(f"== {size:,} members: {name}", file=sys.stderr, flush=True)
            results.update(run_one(name, database_url, size))
    finally:
        drop()
    return results


def table(sizes, results):
    first, last = sizes[0], sizes[-1]
    header = ["benchmark", "unit", *[f"{s:,} members" for s in sizes], f"ratio {last:,}/{first:,}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    names = list(dict.fromkeys(n for s in sizes for n in results[s]))
    for name in names:
        cells, values = [], []
        for s in sizes:
            r = results[s].get(name)
            values.append(r["value"] if r else None)
            cells.append("-" if r is None else f"{r['value']:,}" + (f" ({r['statements']} stmts)"
                                                                   if r["statements"] is not None else ""))
        unit = next(results[s][name]["unit"] for s in sizes if name in results[s])
        ratio = f"{values[-1] / values[0]:.2f}" if values[0] and values[-1] is not None else "-"
        lines.append("| " + " | ".join([name, unit, *cells, ratio]) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="members, comma-separated")
    parser.add_argument("--database-url", help="PostgreSQL base URL; SQLite files when omitted")
    parser.add_argument("--only", help="comma-separated benchmarks (generate always runs): " + ", ".join(BENCHMARKS))
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--one", choices=BENCHMARKS, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return one(args.one, args.database_url, args.size)
    names = args.only.split(",") if args.only else [n for n in BENCHMARKS if n != "generate"]
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {size: measure(size, args.database_url, names) for size in sizes}
    print(table(sizes, results))
    if args.json:
        Path(args.json).write_text(json.dumps({str(k): v for k, v in results.items()}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
