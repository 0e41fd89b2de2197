"""``gridfirst procure --site A --site B ...``: several sites procured together with flexible load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gridfirst.cli.output import Format, fail, print_json, print_records


def _market(scenario: Any, site: str, explicit: bool) -> Any:
    """A site's market as its procurement sees it (bundled markets too without --scenario)."""
    from gridfirst.errors import DataError, ScenarioError
    from gridfirst.procurement.site import site_market

    try:
        return site_market(scenario, site)
    except ScenarioError:
        if explicit:
            raise
        from gridfirst.data import bundled_markets

        markets = {m.id: m for m in bundled_markets()}
        if site not in markets:
            raise DataError(f"--site: {site!r} is not a known site or market") from None
        return markets[site]


def procure_fleet(
    sites: list[str],
    scenario: Path | None,
    costs: Path | None,
    cfe_target: float | None,
    load_mw: float,
    seed: int,
    flexible_share: float,
    shift: str,
    transfer_mw: float | None,
    cfe_scope: str,
    fmt: Format,
    method: str = "fast",
) -> None:
    """Run the fleet LP for ``sites`` and print ``{"sites": {...}, "fleet": {...}}``."""
    import math

    from gridfirst.errors import GridfirstError
    from gridfirst.procurement.fleet import CFE_SCOPES

    if cfe_scope not in CFE_SCOPES:  # before the sites' LPs are built
        raise fail(f"--cfe-scope: {cfe_scope!r} is not one of {', '.join(CFE_SCOPES)}")
    try:
        from gridfirst.procurement import load_costs
        from gridfirst.procurement.fleet import Flexibility, market_lp, solve_fleet
        from gridfirst.procurement.site import scenario_costs
        from gridfirst.scenario import example_path, load_scenario

        scen = load_scenario(scenario if scenario is not None else example_path())
        cost_model = load_costs(costs) if costs is not None else scenario_costs(scen)
        target = scen.policy.cfe_target if cfe_target is None else cfe_target
        flex = Flexibility(share=flexible_share, shift=shift,
                           transfer_mw=math.inf if transfer_mw is None else transfer_mw)
        lps = [(s, market_lp(_market(scen, s, scenario is not None), target, cost_model,
                             seed=seed, load_mw=load_mw)) for s in sites]
        result = solve_fleet(lps, flex, cfe=cfe_scope, method=method)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    payload = {"sites": {n: r.to_dict() for n, r in result.sites.items()},
               "fleet": result.fleet_record()}
    _warn_doubtful(result)
    if fmt == Format.json:
        print_json(payload)
        return
    rows: list[dict[str, Any]] = [{"site": n, "cost_usd_per_mwh": r.cost_usd_per_mwh, "objective_usd": r.objective_usd,
             "cfe_score": r.cfe_score, "consumed_mwh": float(r.dispatch["load_mw"].sum())}
            for n, r in result.sites.items()]
    rows.append({"site": "fleet", "cost_usd_per_mwh": result.cost_usd_per_mwh,
                 "objective_usd": result.objective_usd, "cfe_score": result.cfe_score,
                 "consumed_mwh": float(sum(float(r["consumed_mwh"]) for r in rows))})
    print_records(rows, fmt, title=f"24/7 CFE fleet, flexible share {flexible_share:g} ({shift})")


def _warn_doubtful(result: Any) -> None:
    """A doubtful fleet answer says so on stderr: a target the options miss, a loose gap."""
    from rich.console import Console

    from gridfirst.cli.procure import GAP_WARNING

    err = Console(stderr=True, soft_wrap=True)

    def warn(text: str) -> None:
        err.print(f"warning: {text}", markup=False, highlight=False)

    if result.cfe == "fleet" and not result.cfe_target_met:
        warn(f"fleet target {result.cfe_target:g}: the sites' supply options reach at most CFE "
             f"{result.cfe_score:.3f} across the fleet ({result.cfe_shortfall_mwh:,.0f} MWh short); "
             "the cost is that of the best reachable plan")
    for name, site in result.sites.items():
        if result.cfe == "site" and not site.cfe_target_met:
            warn(f"site {name}, target {site.cfe_target:g}: its market's supply options reach at "
                 f"most CFE {site.cfe_score:.3f} ({site.cfe_shortfall_mwh:,.0f} MWh short); the "
                 "cost is that of the best reachable plan")
    gap = result.optimality_gap
    if gap != gap or gap > GAP_WARNING:
        warn(f"the certified optimality gap is {gap:.3g} (above {GAP_WARNING:g}); the fleet's "
             "cost may be off by that share; try --method highs")
