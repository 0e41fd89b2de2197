"""Hourly system load of US balancing authorities for the curtailment-headroom method.

Run ``python -m gridfirst.data.prepare_headroom PATH`` with PATH a checkout of the cleaned EIA-930
release (github.com/truggles/EIA_Cleaned_Hourly_Electricity_Demand_Data, commit b80145d) to
rewrite ``data/headroom/<ZONE>.csv.gz``.

Method
------
Two releases of the same cleaning (anomaly screening, then MICE imputation of missing and
anomalous hours) are joined: the October 2020 release gives 2016-2019 for the whole balancing
authority; the January 2025 release gives 2020-2024, where the large ISOs are cleaned by
sub-region, so their load is the sum of the sub-regions (PJM without PJM-RECO, which stopped
reporting in 2019 and is under 0.5 GW). Nothing else is changed: the column ``cleaned demand
(MW)`` is written as whole megawatts on its UTC hour, 2016-01-01 00:00 to 2024-12-31 23:00,
the years of Norris et al. (2025).

References
----------
.. [1] Ruggles, T. H., Farnham, D. J., Tong, D., Caldeira, K. (2020). Developing reliable hourly
   electricity demand data through screening and imputation. Scientific Data 7, 155.
.. [2] U.S. Energy Information Administration, Form EIA-930 Hourly Electric Grid Monitor.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

OLD = Path("data/release_2020_Oct/balancing_authorities")
NEW = Path("data/release_2025_Jan_include_subregions/subregions_and_balancing_authorities")
# zone -> file stem in the 2020-2024 release ("PJM" means every "PJM-*" sub-region file)
ZONES = ("PJM", "ERCO", "AZPS", "SRP", "PGE")
FIRST, LAST = "2016-01-01 00:00", "2024-12-31 23:00"


def _read(path: Path) -> pd.Series:
    frame = pd.read_csv(path, parse_dates=["date_time"], index_col="date_time")
    return frame["cleaned demand (MW)"].astype(float)


def zone_series(root: Path, zone: str) -> pd.Series:
    """The 2016-2024 hourly load of one balancing authority [MW] from a release checkout."""
    old = _read(root / OLD / f"{zone}.csv").loc[FIRST:"2019-12-31 23:00"]
    parts = sorted((root / NEW).glob(f"{zone}-*.csv")) or [root / NEW / f"{zone}.csv"]
    new = sum(_read(p) for p in parts)
    assert isinstance(new, pd.Series)
    load = pd.concat([old, new.loc["2020-01-01 00:00":LAST]])
    expected = pd.date_range(FIRST, LAST, freq="h")
    if not load.index.equals(expected) or load.isna().any():
        raise SystemExit(f"{zone}: the joined series is not one value per hour {FIRST}..{LAST}")
    load.index.name = "time_utc"
    return load.round().astype(int).rename("load_mw")


def main(root: Path) -> None:
    out = Path(__file__).parent / "headroom"
    for zone in ZONES:
        series = zone_series(root, zone)
        tmp = out / f".{zone}.csv.gz"
        series.to_csv(tmp, date_format="%Y-%m-%dT%H:%M", compression={"method": "gzip", "mtime": 0})
        tmp.replace(out / f"{zone}.csv.gz")
        print(f"{zone}: {len(series)} h, peak {series.max()} MW")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
