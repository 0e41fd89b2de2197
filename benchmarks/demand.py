"""Timings of the demand outlook: fitting three growth models and the bootstrap band.

Run: .venv/bin/python benchmarks/demand.py
Prints seconds per step and the cost per bootstrap resample for each model.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from gridfirst.demand import fit_growth, forecast
from gridfirst.demand.series import decimal_year


def main() -> None:
    dates = pd.date_range("2021-01-01", "2025-12-01", freq="MS")
    t = decimal_year(dates)
    rng = np.random.default_rng(0)
    truth = {
        "exponential": 100.0 * np.exp(0.7 * (t - t[0])),
        "logistic": 1.0e3 / (1.0 + np.exp(-2.0 * (t - 2023.0))),
        "gompertz": 1.0e3 * np.exp(-np.exp(-1.5 * (t - 2022.3))),
    }
    print(
        f"{'truth':<12} {'chosen':<12} {'points':>6} {'fit_s':>8} {'boot_n':>6} {'boot_s':>8} {'ms_per_resample':>16}"
    )
    for name, y in truth.items():
        series = pd.Series(y * np.exp(rng.normal(0, 0.02, len(y))), index=dates)
        t0 = time.perf_counter()
        fit = fit_growth(series)
        t1 = time.perf_counter()
        n_boot = 500
        forecast(fit, years=range(2026, 2036), n_boot=n_boot, seed=0)
        t2 = time.perf_counter()
        print(
            f"{name:<12} {fit.model:<12} {len(series):>6} {t1 - t0:>8.3f} {n_boot:>6} {t2 - t1:>8.3f} "
            f"{1000 * (t2 - t1) / n_boot:>16.2f}"
        )


if __name__ == "__main__":
    main()
