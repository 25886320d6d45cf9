"""Validation with quarantine vs pandera on the same strength sets.

Goal (issue 8): on 10M set rows with 0.1% bad rows, `sol.validate` (valid rows plus rejected rows
with every reason) is at least 3x faster than pandera's `drop_invalid_rows=True` (which loses the
bad rows) and within 1.3x of plain pandera lazy validation (which only reports); peak memory at
most 3x the input frame.

Usage: python benchmarks/bench_validation.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandera.pandas as pa

import soleus_analysis as sol
from benchmarks._common import emit, in_child
from benchmarks._data import large_strength_sets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--bad-share", type=float, default=0.001)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    schema = sol.get_schema("strength_sets")

    def setup():
        df = large_strength_sets(args.rows, bad_share=args.bad_share, rng=42)
        schema.validate(df.head(1000))  # warm pandera's backend registration outside the timing
        return df

    def pandera_lazy(df):
        try:
            schema.validate(df, lazy=True)
        except pa.errors.SchemaErrors as exc:
            return {"failure_cases": len(exc.failure_cases)}
        return {"failure_cases": 0}

    def pandera_drop(df):
        dropping = schema.set_drop_invalid_rows(True) if hasattr(schema, "set_drop_invalid_rows") else schema
        dropping.drop_invalid_rows = True
        kept = dropping.validate(df, lazy=True)
        return {"kept": len(kept)}

    def ours(df):
        report = sol.validate(df, "strength_sets")
        return {"valid": len(report.valid), "rejected": len(report.rejected)}

    frame_mb = in_child(setup, lambda df: float(df.memory_usage(deep=True).sum() / 2**20))["out"]
    rows = []
    results = {}
    for name, work in [("pandera lazy (reports only)", pandera_lazy),
                       ("pandera drop_invalid_rows (loses rows)", pandera_drop),
                       ("sol.validate (valid + quarantine)", ours)]:
        r = in_child(setup, work)
        results[name] = r
        extra = r["rss_peak_mb"] - r["rss_before_mb"]
        rows.append({
            "method": name,
            "seconds": f"{r['seconds']:.2f}",
            "peak RSS / input frame": f"{r['rss_peak_mb'] / frame_mb:.2f}",
            "extra memory / input frame": f"{extra / frame_mb:.2f}",
            "result": r["out"],
        })
    t_lazy = results["pandera lazy (reports only)"]["seconds"]
    t_drop = results["pandera drop_invalid_rows (loses rows)"]["seconds"]
    t_ours = results["sol.validate (valid + quarantine)"]["seconds"]
    notes = [
        f"{args.rows:,} set rows, {args.bad_share:.1%} bad rows; input frame {frame_mb:,.0f} MB",
        f"sol.validate / pandera lazy = {t_ours / t_lazy:.2f} (goal <= 1.3)",
        f"pandera drop_invalid_rows / sol.validate = {t_drop / t_ours:.2f} (goal >= 3)",
    ]
    emit("Validation with quarantine", rows, notes)


if __name__ == "__main__":
    main()
