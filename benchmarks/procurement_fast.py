"""Timing of the fast structured interior-point procurement solver against HiGHS on the same LP.

Builds the reference LP with ``gridfirst.procurement.model.build_lp`` / ``to_sparse`` from a seeded
synthetic year (solar with day and season, wind as a seeded AR(1) through a smooth curve, grid
price with a daily shape), solves it monolithically with HiGHS (dual simplex by default) and with
``solve_fast``, and prints both times, the ratio, both objectives and the fast path's certified gap.
With ``--sweep`` it also times a 21-point CFE-target sweep (0..1) with warm starts.

    .venv/bin/python benchmarks/procurement_fast.py --hours 168 720 2190 8760 --sweep
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def synthetic_year(hours: int, seed: int = 0) -> pd.DataFrame:
    """Seeded hourly profiles with the issue's columns (first ``hours`` hours of a year)."""
    rng = np.random.default_rng(seed)
    t = np.arange(8760)
    day, hod = t // 24, t % 24
    season = 1.0 + 0.3 * np.cos(2 * np.pi * (day - 172) / 365)
    sun = np.clip(np.sin((hod - 6) / 12 * np.pi), 0, None)
    clouds = np.repeat(rng.beta(5, 2, 365), 24)
    solar = np.clip(0.9 * sun * season * clouds, 0, 1)
    ar = np.zeros(8760)
    shocks = rng.standard_normal(8760)
    for i in range(1, 8760):
        ar[i] = 0.97 * ar[i - 1] + 0.25 * shocks[i]
    speed = np.clip(7.0 + 1.5 * np.cos(2 * np.pi * day / 365) + ar, 0, None)
    wind = np.clip(((speed - 3) / 9) ** 3, 0, 1) * (speed < 25)
    price = 45 + 25 * np.sin(2 * np.pi * (hod - 12) / 24) + 6 * rng.standard_normal(8760)
    frame = pd.DataFrame(
        {
            "load_mw": np.full(8760, 100.0),
            "solar_cf": solar,
            "wind_cf": wind,
            "grid_price_usd_per_mwh": np.maximum(price, 5.0),
            "grid_intensity_tco2_per_mwh": np.full(8760, 0.45),
            "grid_cfe_share": np.clip(0.3 + 0.1 * np.sin(2 * np.pi * day / 365), 0, 1),
        },
        index=pd.date_range("2024-01-01", periods=8760, freq="h", tz="UTC"),
    )
    return frame.iloc[:hours]


def solve_highs(lp: object, algorithm: str) -> tuple[float, float]:
    """(objective, seconds) of HiGHS on the monolithic LP of ``to_sparse(lp)``."""
    import highspy

    from gridfirst.procurement.model import to_sparse

    sparse = to_sparse(lp)  # type: ignore[arg-type]
    a = sparse.A.tocsc()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "simplex" if algorithm == "dual" else algorithm)
    if algorithm == "dual":
        h.setOptionValue("simplex_strategy", 1)
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = a.shape[1], a.shape[0]
    model.col_cost_, model.col_lower_, model.col_upper_ = sparse.c, sparse.col_lo, sparse.col_hi
    model.row_lower_, model.row_upper_ = sparse.row_lo, sparse.row_hi
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_, model.a_matrix_.index_ = a.indptr, a.indices
    model.a_matrix_.value_ = a.data
    h.passModel(model)
    t0 = time.perf_counter()
    h.run()
    return float(h.getInfo().objective_function_value), time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, nargs="+", default=[168, 720, 2190, 8760])
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--highs", default="dual", help="dual | ipm | pdlp")
    parser.add_argument("--sweep", action="store_true", help="also time a 21-point sweep")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from gridfirst.procurement.costs import default_costs
    from gridfirst.procurement.fast import solve_fast
    from gridfirst.procurement.model import build_lp

    costs = default_costs()
    print(
        f"{'hours':>6} {'highs_s':>9} {'fast_s':>8} {'ratio':>7} {'rel_diff':>10} "
        f"{'cert_gap':>10} {'iters':>5}"
    )
    for hours in args.hours:
        lp = build_lp(synthetic_year(hours, args.seed), costs, args.target)
        solve_fast(build_lp(synthetic_year(24, args.seed), costs, args.target))  # warm imports
        t0 = time.perf_counter()
        sol = solve_fast(lp)
        fast_s = time.perf_counter() - t0
        ref, highs_s = solve_highs(lp, args.highs)
        rel = abs(sol.objective_usd - ref) / abs(ref)
        print(
            f"{hours:>6} {highs_s:>9.3f} {fast_s:>8.3f} {highs_s / fast_s:>7.1f} {rel:>10.2e} "
            f"{sol.optimality_gap:>10.2e} {sol.iterations:>5}",
            flush=True,
        )
        if args.sweep:
            warm, t0, worst = None, time.perf_counter(), 0.0
            for target in np.linspace(0.0, 1.0, 21):
                s = solve_fast(lp.with_target(float(target)), warm_start=warm)
                warm, worst = s.warm_start, max(worst, s.optimality_gap)
            sweep_s = time.perf_counter() - t0
            print(
                f"{'':>6} sweep of 21 targets: {sweep_s:.3f} s "
                f"(worst certified gap {worst:.2e}; one HiGHS solve {highs_s:.3f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
