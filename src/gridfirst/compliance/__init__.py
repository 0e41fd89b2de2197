"""Who may put which chips where: export controls, alliances, threat exposure, data residency and
foreign-investment review, as dated and sourced data with small engines over them.

Models only: this package reads ``data/compliance/*.csv`` and returns decisions and tables; the
scenario, resolve step, screens, portfolio and report wire it in.
"""

from gridfirst.compliance.alliances import alliance_memberships, alliance_score, shared_alliances
from gridfirst.compliance.data import STATUSES
from gridfirst.compliance.export_controls import (
    TABLE_COLUMNS,
    Decision,
    Rule,
    RuleBook,
    compliance_table,
    evaluate,
    export_classification,
)
from gridfirst.compliance.investment_review import fdi_lead_time_months, fdi_reviews
from gridfirst.compliance.residency import in_country_scopes, residency_rules
from gridfirst.compliance.threat import nearest_flashpoint, threat_exposure, threat_exposures

__all__ = [
    "STATUSES",
    "TABLE_COLUMNS",
    "Decision",
    "Rule",
    "RuleBook",
    "alliance_memberships",
    "alliance_score",
    "compliance_table",
    "evaluate",
    "export_classification",
    "fdi_lead_time_months",
    "fdi_reviews",
    "in_country_scopes",
    "nearest_flashpoint",
    "residency_rules",
    "shared_alliances",
    "threat_exposure",
    "threat_exposures",
]
