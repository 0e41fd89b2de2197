"""Bad input on every command: one line that names the problem, never a traceback.

Each case runs the installed entry point in this process (``gridfirst.cli.main``) and checks
the exit code is an error, stderr has no traceback and says what the case expects.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_runner import run_cli

from gridfirst.scenario import example_path

EXAMPLE = yaml.safe_load(example_path().read_text())


def _scenario(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    for path, value in changes.items():
        node = data
        keys = path.split("__")
        for key in keys[:-1]:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[int(key)]
        if isinstance(node, list):
            node[int(keys[-1])] = value
        else:
            node[keys[-1]] = value
    return data


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    made: dict[str, Path] = {}

    def put(name: str, content: str | bytes) -> None:
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        made[name] = path

    put("garbage.yaml", bytes(range(256)) * 8)
    put("empty.yaml", "")
    put("list.yaml", "- 1\n- 2\n")
    put("unclosed.yaml", "name: [x\n")
    put("latin1.csv", "date,value\n2024-01-01,1\n".encode("utf-16"))
    put("empty.csv", "")
    put("nodate.csv", "when,value\n2024-01-01,1\n")
    put("huge.csv", "date,value\n" + "".join(f"20{10 + i}-01-01,1e300\n" for i in range(10)))
    put("short.csv", "load_mw,solar_cf,wind_cf,grid_price_usd_per_mwh,grid_intensity_tco2_per_mwh\n1,0.1,0.1,10,0.1\n")
    put("costs-bad.yaml", "solar_capex: 1\n")
    put("costs-list.yaml", "- 1\n")
    bomb = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    bomb += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    put("bomb.yaml", "\n".join(bomb) + "\nname: bomb\ndescription: *a8\n")
    (root / "adir").mkdir()
    made["adir"] = root / "adir"
    put("afile", "x")
    for name, data in {
        "typo-options.yaml": _scenario(options={"portfolio": {"utilisaton": 0.7}}),
        "load0.yaml": _scenario(options={"plan": {"procurement_load_mw": 0}}),
        "sla-typo.yaml": _scenario(policy__latency_sla_ms={"inferense": 20}),
        "sla-nan.yaml": _scenario(policy__latency_sla_ms={"inference": math.nan}),
        "inf-mw.yaml": _scenario(demand__points__0={"region": "tokyo", "year": 2027,
                                                    "workload": "inference", "mw": math.inf}),
        "inf-penalty.yaml": _scenario(policy__unmet_penalty_usd_per_mw_year=math.inf),
        "neg-price.yaml": _scenario(markets__overrides={"au-sydney": {"price_usd_per_mwh": -20}}),
        "bad-market.yaml": _scenario(markets__include=["xx-nowhere"]),
        "bad-country.yaml": _scenario(policy__excluded_countries=["XX"]),
        "brackets.yaml": _scenario(name="[bold]x[/]"),
        "weights-neg.yaml": _scenario(weights={"grid_power": -1}),
        "weights-unknown.yaml": _scenario(weights={"grid_powr": 1}),
        "costs-typo.yaml": _scenario(costs={"solar_capex": 1}),
        "dup-point.yaml": _scenario(demand__points=EXAMPLE["demand"]["points"]
                                    + EXAMPLE["demand"]["points"][:1]),
        "out-of-horizon.yaml": _scenario(demand__points__0={**EXAMPLE["demand"]["points"][0],
                                                            "year": 2060}),
        "horizon-order.yaml": _scenario(horizon={"start_year": 2030, "end_year": 2026}),
        "unknown-top.yaml": _scenario(budget=1),
        "risk-typo.yaml": _scenario(options={"risk": {"delay": {}}}),
    }.items():
        put(name, yaml.safe_dump(data, allow_unicode=True))
    return made


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, err, out = run_cli(argv, capsys)
    return code, err + out


SCENARIO_FILES = ["garbage.yaml", "empty.yaml", "list.yaml", "unclosed.yaml", "bomb.yaml",
                  "adir", "typo-options.yaml", "load0.yaml", "sla-typo.yaml", "sla-nan.yaml",
                  "inf-mw.yaml", "inf-penalty.yaml", "neg-price.yaml", "bad-market.yaml",
                  "bad-country.yaml", "costs-typo.yaml", "dup-point.yaml", "out-of-horizon.yaml",
                  "horizon-order.yaml", "unknown-top.yaml", "risk-typo.yaml", "weights-neg.yaml"]

CASES: list[tuple[list[str], str]] = [
    *[(["validate", f"@{name}"], name.split(".")[0] if name != "adir" else "folder")
      for name in SCENARIO_FILES],
    *[([command, f"@{name}"], "") for command in ("rank", "portfolio", "plan", "risk")
      for name in ("garbage.yaml", "adir", "empty.yaml", "sla-typo.yaml", "inf-mw.yaml")],
    (["rank", "@weights-unknown.yaml"], "grid_powr"),
    (["validate", "@brackets.yaml"], "[bold]x[/]"),
    (["validate", "@nonexistent.yaml"], "no such"),
    (["plan", "--seed", "-1"], "--seed"),
    (["risk", "--seed", "-1", "-n", "10"], "--seed"),
    (["rank", "--seed", "-1"], "--seed"),
    (["plan", "--dask", "not an address"], "--dask"),
    (["risk", "--dask", "tcp://host:notaport", "-n", "10"], "--dask"),
    (["plan", "-o", "@afile"], "is a file"),
    (["plan", "-o", "@afile/sub"], "is a file"),
    (["procure", "--site", "au-sydney", "--sweep", "0:1:nan"], "finite"),
    (["procure", "--site", "au-sydney", "--sweep", "0:1:1e-12"], "more than"),
    (["procure", "--site", "au-sydney", "--sweep", "a:b"], "start:stop:step"),
    (["procure", "--site", "au-sydney", "--plot", "@adir/missing/plot.html"], "does not exist"),
    (["procure", "--site", "nowhere"], "nowhere"),
    (["procure"], "exactly one"),
    (["procure", "--hourly", "@short.csv"], "8760"),
    (["procure", "--hourly", "@adir"], ""),
    (["procure", "--hourly", "@garbage.yaml"], ""),
    (["procure", "--site", "au-sydney", "--costs", "@costs-bad.yaml"], "solar_capex"),
    (["procure", "--site", "au-sydney", "--costs", "@costs-list.yaml"], "mapping"),
    (["procure", "--site", "au-sydney", "--costs", "@adir"], ""),
    (["procure", "--site", "au-sydney", "--cfe-target", "1.5"], "1.5"),
    (["demand", "@empty.csv", "-q", "tokens_per_day"], ""),
    (["demand", "@latin1.csv", "-q", "tokens_per_day"], ""),
    (["demand", "@nodate.csv", "-q", "tokens_per_day"], "date"),
    (["demand", "@adir", "-q", "tokens_per_day"], ""),
    (["demand", "@huge.csv", "-q", "tokens_per_day"], ""),
    (["demand", "@nodate.csv", "-q", "tokens_per_day", "--plot", "@adir/no/p.html"], "does not exist"),
    (["demand", "@huge.csv", "-q", "bogus"], "bogus"),
    (["latency", "nowhere-land", "Tokyo"], "nowhere-land"),
    (["latency", "--matrix", "--max-ms", "-1"], "max-ms"),
    (["markets", "show", "xx-nowhere"], "xx-nowhere"),
    (["markets", "--scenario", "@garbage.yaml"], ""),
]


@pytest.mark.parametrize(("argv", "expected"), CASES,
                         ids=[" ".join(a).replace("@", "") for a, _ in CASES])
def test_bad_input_is_one_clear_line(argv: list[str], expected: str, files: dict[str, Path],
                                     capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDFIRST_CACHE_DIR", str(tmp_path / "cache"))

    def expand(arg: str) -> str:
        if not arg.startswith("@"):
            return arg
        name, _, rest = arg[1:].partition("/")
        base = files.get(name, files["adir"].parent / name)
        return str(base / rest) if rest else str(base)

    code, output = _run([expand(a) for a in argv], capsys)
    assert code != 0, output
    assert "Traceback" not in output
    assert "internal error" not in output, output
    assert expected in output, output
    assert len(output) < 4000


def test_the_shipped_cost_file_reads_back_as_it_is(tmp_path: Path) -> None:
    """The format the project ships is the format it reads (it used to crash with TypeError)."""
    from gridfirst.data import data_dir
    from gridfirst.procurement.costs import default_costs, load_costs

    shipped = data_dir() / "procurement_costs.yaml"
    assert load_costs(shipped) == default_costs()
    edited = yaml.safe_load(shipped.read_text())
    edited["solar"]["overnight_usd_per_mw"] = 2 * float(edited["solar"]["overnight_usd_per_mw"])
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(edited))
    assert load_costs(path).solar_usd_per_mw_year > default_costs().solar_usd_per_mw_year


def _profiles_csv(path: Path, load_mw: float, price: float) -> Path:
    import numpy as np
    import pandas as pd

    hours = np.arange(8760)
    pd.DataFrame({
        "timestamp": pd.date_range("2024-01-01", periods=8760, freq="h", tz="UTC"),
        "load_mw": load_mw, "solar_cf": np.clip(np.sin(hours / 24 * 2 * np.pi), 0, None),
        "wind_cf": 0.3, "grid_price_usd_per_mwh": price, "grid_intensity_tco2_per_mwh": 0.5,
    }).to_csv(path, index=False)
    return path


def test_no_load_is_an_error_and_a_doubtful_answer_says_so(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    code, out = _run(["procure", "--hourly", str(_profiles_csv(tmp_path / "z.csv", 0.0, 80.0))],
                     capsys)
    assert code != 0 and "zero in every hour" in out
    code, out = _run(["procure", "--hourly", str(_profiles_csv(tmp_path / "h.csv", 100.0, 1e12)),
                      "--format", "json"], capsys)
    assert code == 0
    # the fast method cannot certify 1e-6 at a 1e12 USD/MWh grid price: HiGHS answers and says so
    import json

    answer = json.loads(out[out.index("{"):])
    assert answer["method"].startswith("highs (fast method's certified gap")
    assert answer["optimality_gap"] <= 1e-6
    # all wind (CF 0.3 every hour), nothing from a grid at 1e12 USD/MWh
    assert answer["cfe_score"] == pytest.approx(1.0)
    assert answer["wind_mw"] == pytest.approx(100.0 / 0.3, rel=1e-6)
