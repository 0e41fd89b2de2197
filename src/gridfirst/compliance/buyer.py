"""The buyer whose export-control status is read: the scenario's, with given fields laid over it."""

from __future__ import annotations

from typing import Any

from gridfirst.errors import DataError
from gridfirst.scenario import Buyer

#: Accelerators assumed when a jurisdiction is given for a scenario without a buyer.
DEFAULT_ACCELERATORS = ("gb200-nvl72",)


def buyer_with(buyer: Buyer | None, jurisdiction: str | None = None,
               accelerators: str | None = None) -> Buyer | None:
    """``buyer`` with ``jurisdiction`` and a comma-separated ``accelerators`` list laid over it
    (a new buyer with :data:`DEFAULT_ACCELERATORS` when there is none); unchanged when neither
    is given.

    Raises
    ------
    DataError
        The resulting buyer is not valid, as ``buyer: <the last line of the validation error>``.
    """
    if jurisdiction is None and accelerators is None:
        return buyer
    base: dict[str, Any] = (buyer.model_dump() if buyer is not None
                            else {"accelerators": list(DEFAULT_ACCELERATORS)})
    if jurisdiction is not None:
        base["jurisdiction"] = jurisdiction
    if accelerators is not None:
        base["accelerators"] = [a.strip() for a in accelerators.split(",") if a.strip()]
    try:
        return Buyer.model_validate(base)
    except ValueError as exc:
        lines = str(exc).splitlines()
        raise DataError(f"buyer: {lines[-1] if lines else exc}") from None
