"""JSON-safe values: what every JSON output of gridfirst (plan.json, --format json) is made of.

One conversion for the plan summary and the command line, so the two never disagree on how a
NaN, a numpy scalar or a missing value is written. Imports nothing heavy.
"""

from __future__ import annotations

import math
from typing import Any


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers, NaN, infinity and pandas' missing values
    as None, and containers converted recursively (mapping keys as text)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
