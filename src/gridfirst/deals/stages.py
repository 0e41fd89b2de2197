"""Deal stages: their order, whether a deal at a stage is live, and its probability of closing.

The probabilities are stated assumptions (``data/deal_close_probabilities.csv``, source
``deals-stage-assume``), overridable per stage here and per deal in the store.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from gridfirst.errors import DataError

#: The pipeline stages in order (the scenario's ``deals[].stage`` takes the same values).
STAGES = ("prospect", "qualified", "nda", "loi", "term_sheet", "negotiation", "signed",
          "energised", "lost")


@lru_cache(maxsize=1)
def stage_table() -> pd.DataFrame:
    """The bundled stage table, indexed by stage: ``order, close_probability, live, source_id, note``."""
    from gridfirst.data import data_dir

    path = data_dir() / "deal_close_probabilities.csv"
    frame = pd.read_csv(path).set_index("stage")
    if tuple(frame.index) != STAGES:
        raise DataError(f"{path.name}: stages {list(frame.index)} differ from {list(STAGES)}")
    bad = frame[(frame["close_probability"] < 0) | (frame["close_probability"] > 1)]
    if not bad.empty:
        raise DataError(f"{path.name}: close_probability outside 0..1 for {list(bad.index)}")
    return frame


def close_probabilities(overrides: dict[str, float] | None = None) -> dict[str, float]:
    """Probability of closing by stage [-], the bundled assumptions with ``overrides`` applied.

    Raises
    ------
    DataError
        An override names an unknown stage or is outside 0..1.
    """
    table = stage_table()
    probs = {str(s): float(p) for s, p in table["close_probability"].items()}
    for stage, value in (overrides or {}).items():
        if stage not in probs:
            raise DataError(f"probability override: {stage!r} is not a stage; stages: "
                            f"{', '.join(STAGES)}")
        if not 0.0 <= float(value) <= 1.0:
            raise DataError(f"probability override: {stage}={value} is outside 0..1")
        probs[stage] = float(value)
    return probs


def is_live(stage: str) -> bool:
    """Whether a deal at ``stage`` can still happen (every stage but ``lost``)."""
    return bool(stage_table().at[stage, "live"])
