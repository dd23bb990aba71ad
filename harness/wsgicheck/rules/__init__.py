"""PEP 3333 rules: the registry, what each rule sees, and running them.

Importing this package registers every rule (the modules below declare them with the
:func:`~wsgicheck.rules.registry.rule` decorator).
"""

from __future__ import annotations

from . import (  # noqa: F401 (importing a rule module registers its rules)
    app_head,
    app_protocol,
    app_response_body,
    app_streams,
    app_trap,
    environ_headers,
    environ_rules,
    harness_rules,
    http_content,
    http_pairs,
    http_preconditions,
    http_vary,
    server_rules,
)
from .engine import (
    RuleResult,
    check_exchange,
    check_sequence,
    evaluate,
    in_sequence,
    is_failure,
    judge,
)
from .exchange import Exchange
from .registry import REGISTRY, Binding, DuplicateRule, Finding, Level, Rule, rule

__all__ = [
    "REGISTRY",
    "Binding",
    "DuplicateRule",
    "Exchange",
    "Finding",
    "Level",
    "Rule",
    "RuleResult",
    "check_exchange",
    "check_sequence",
    "evaluate",
    "in_sequence",
    "is_failure",
    "judge",
    "rule",
]
