"""``gridfirst rank``: screen and rank a scenario's markets, with contributions and rank probabilities."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_json, print_records

if TYPE_CHECKING:
    from gridfirst.scoring import Explanation, RankResult, SensitivityResult


class Profile(str, Enum):
    training = "training"
    inference = "inference"


class Method(str, Enum):
    topsis = "topsis"
    wsum = "wsum"


class Normalisation(str, Enum):
    vector = "vector"
    minmax = "minmax"


def _swap_words(swap: dict[str, Any] | None) -> str:
    if swap is None:
        return ""
    verb = "raise" if swap["change"] > 0 else "lower"
    return f"{verb} {swap['criterion']} {swap['weight']:.3f}->{swap['new_weight']:.3f}"


def _top_contributions(contrib: dict[str, float], count: int = 3) -> str:
    ordered = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))[:count]
    return ", ".join(f"{name} {value:+.3f}" for name, value in ordered)


def rank(
    scenario: Path | None = typer.Argument(
        None, help="Scenario YAML file (default: the bundled examples/apac.yaml)."
    ),
    profile: Profile = typer.Option(Profile.training, "--profile", "-p", help="Workload profile."),
    method: Method = typer.Option(Method.topsis, "--method", "-m", help="Aggregation method."),
    normalisation: Normalisation = typer.Option(
        Normalisation.vector, "--normalisation", "-n", help="Column normalisation."
    ),
    top: int = typer.Option(10, "--top", min=1, help="Markets shown."),
    samples: int = typer.Option(
        1000, "--samples", min=0, help="Dirichlet weight samples for rank probabilities (0: none)."
    ),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the weight samples."),
    top_k: int = typer.Option(3, "--top-k", min=1, help="k of the top-k probability."),
    concentration: float = typer.Option(
        100.0, "--concentration", min=1e-6, help="Dirichlet concentration around the weights."
    ),
    network: bool = typer.Option(
        True,
        "--network/--no-network",
        help="Inference: latency and connectivity from gridfirst.network when installed "
        "(--no-network: great-circle latency estimate and cable-system count).",
    ),
    explain_id: str | None = typer.Option(
        None,
        "--explain",
        metavar="MARKET_ID",
        help="Show one market in full: every criterion's weight, normalised value and "
        "contribution, and the single-weight changes that swap it with both neighbours.",
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Screen and rank markets; shows each score's contributions, rank probabilities under
    sampled weights, the weight change that swaps a market with the one above, and the markets
    the policy screens removed with their rule (CSV: rows with status screened_out)."""
    from gridfirst.errors import GridfirstError
    from gridfirst.scenario import load_scenario
    from gridfirst.scoring import rank_with_sensitivity

    try:
        result, sens = rank_with_sensitivity(
            load_scenario(scenario),
            profile=profile.value,
            method=method.value,
            normalisation=normalisation.value,
            samples=samples,
            seed=seed,
            top_k=top_k,
            concentration=concentration,
            use_network=network,
        )
        if explain_id is not None:
            explanation = result.explain(explain_id)
        else:
            shown = list(result.table.index[:top])
            explanations = {mid: result.explain(mid) for mid in shown}
    except GridfirstError as exc:
        raise fail(str(exc)) from None

    if explain_id is not None:
        _print_explanation(explanation, result, sens, fmt)
        return

    payload = result.to_dict()
    payload["markets"] = payload["markets"][:top]
    for rec in payload["markets"]:
        mid = rec["market_id"]
        if sens is not None:
            rec[f"p_top_{top_k}"] = float(sens.top_k_probability[mid])
            rec["rank_probabilities"] = [float(x) for x in sens.rank_probabilities.loc[mid]]
        rec["swap_above"] = explanations[mid].smallest_swap("above")
        rec["swap_below"] = explanations[mid].smallest_swap("below")
    if sens is not None:
        payload["sensitivity"] = _sensitivity_settings(sens)

    if fmt == Format.json:
        print_json(payload)
        return
    records = []
    for rec in payload["markets"]:
        row: dict[str, Any] = {"rank": rec["rank"], "market_id": rec["market_id"]}
        row["score"] = round(rec["score"], 4)
        if sens is not None:
            row[f"p_top_{top_k}"] = round(rec[f"p_top_{top_k}"], 3)
            row["p_rank_1"] = round(rec["rank_probabilities"][0], 3)
        if fmt == Format.csv:
            row.update({f"contribution_{k}": v for k, v in rec["contributions"].items()})
            above = rec["swap_above"] or {}
            row["swap_above_criterion"] = above.get("criterion")
            row["swap_above_new_weight"] = above.get("new_weight")
        else:
            row["top contributions"] = _top_contributions(rec["contributions"], 2)
            row["swap with above"] = _swap_words(rec["swap_above"])
        records.append(row)
    if fmt == Format.csv:
        for row in records:
            row.update(status="ranked", rule=None, policy_fields=None)
        for removed in result.screened_out.to_dict("records"):
            records.append(
                {
                    "market_id": removed["market_id"],
                    "status": "screened_out",
                    "rule": removed["rule"],
                    "policy_fields": removed["policy_fields"],
                }
            )
        columns = ["rank", "market_id", "score"]
        if sens is not None:
            columns += [f"p_top_{top_k}", "p_rank_1"]
        columns += [f"contribution_{name}" for name in result.weights.index]
        columns += ["swap_above_criterion", "swap_above_new_weight"]
        columns += ["status", "rule", "policy_fields"]
        print_records(records, fmt, columns=columns)
        return
    base = f" (contributions from {result.baseline})" if result.baseline else ""
    title = (
        f"{profile.value} ranking, {method.value}/{normalisation.value}{base}: "
        f"{len(result.table)} markets pass, {len(result.screened_out)} screened out"
    )
    print_records(records, fmt, title=title)
    if not result.screened_out.empty:
        print_records(
            result.screened_out[["market_id", "rule"]].to_dict("records"),
            fmt,
            title="screened out by policy",
        )
    from rich.console import Console

    console = Console()
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(
        "note: --explain MARKET_ID shows every criterion's contribution and the weight changes "
        "that swap it with both neighbours",
        highlight=False,
    )
    if sens is not None:
        console.print(
            f"note: rank probabilities from {sens.samples} Dirichlet weight samples "
            f"(concentration {sens.concentration:g}, seed {sens.seed})",
            highlight=False,
        )


EXPLAIN_CSV_COLUMNS = [
    "section",
    "market_id",
    "neighbour",
    "criterion",
    "value",
    "unit",
    "weight",
    "normalised",
    "contribution",
    "change",
    "new_weight",
]


def _print_explanation(
    explanation: Explanation, result: RankResult, sens: SensitivityResult | None, fmt: Format
) -> None:
    """Print one market's full explanation: contributions, swaps with both neighbours."""
    mid = explanation.market_id
    if fmt == Format.csv:
        print_records(explanation.to_records(), fmt, columns=EXPLAIN_CSV_COLUMNS)
        return
    payload = explanation.to_dict()
    payload.update(
        profile=result.profile, normalisation=result.normalisation, markets=len(result.table)
    )
    if sens is not None:
        payload[f"p_top_{sens.top_k}"] = float(sens.top_k_probability[mid])
        payload["rank_probabilities"] = [float(x) for x in sens.rank_probabilities.loc[mid]]
        payload["sensitivity"] = _sensitivity_settings(sens)
    if fmt == Format.json:
        print_json(payload)
        return
    from rich.console import Console

    how = "TOPSIS closeness" if result.method == "topsis" else "weighted sum"
    base = f", contributions from {result.baseline}" if result.baseline else ""
    title = (
        f"{mid}: rank {explanation.rank} of {len(result.table)}, {how} score "
        f"{explanation.score:.4f} ({result.profile}, {result.normalisation}{base})"
    )
    rows = [
        {
            "criterion": rec["criterion"],
            "value": rec["value"],
            "unit": rec["unit"],
            "weight": round(rec["weight"], 4),
            "normalised": round(rec["normalised"], 4),
            "contribution": round(rec["contribution"], 4),
        }
        for rec in payload["contributions"]
    ]
    print_records(rows, fmt, title=title)
    console = Console()
    for side, verb in (("above", "to overtake"), ("below", "to be overtaken by")):
        if side not in payload["swaps"]:
            console.print(f"no market ranks {side} {mid}", highlight=False)
            continue
        neighbour = payload["swaps"][side]["neighbour"]
        changes = payload["swaps"][side]["changes"]
        if not changes:
            console.print(
                f"no single weight change lets {mid} {verb[3:]} {neighbour}", highlight=False
            )
            continue
        print_records(
            [
                {k: round(v, 4) if isinstance(v, float) else v for k, v in c.items()}
                for c in changes
            ],
            fmt,
            title=f"{verb} {neighbour}: single-weight changes (shares of the total weight)",
        )
    if sens is not None:
        probs = ", ".join(
            f"rank {r}: {p:.3f}" for r, p in enumerate(payload["rank_probabilities"], start=1)
        )
        console.print(
            f"rank probabilities ({sens.samples} Dirichlet weight samples, seed {sens.seed}): "
            f"{probs}; top {sens.top_k}: {payload[f'p_top_{sens.top_k}']:.3f}",
            highlight=False,
        )


def _sensitivity_settings(sens: Any) -> dict[str, Any]:
    """The settings a sensitivity result was drawn with, for the JSON output."""
    return {
        "samples": sens.samples,
        "seed": sens.seed,
        "concentration": sens.concentration,
        "top_k": sens.top_k,
    }


def register(app: typer.Typer) -> None:
    app.command("rank")(rank)
