"""Every lint rule, in one explicit list. A rule that is not listed here does not run."""

from __future__ import annotations

from .rule import Rule
from .rules.conflicting_instructions import ConflictingInstructions
from .rules.duplicate_instruction import DuplicateInstruction
from .rules.format_conflict import FormatConflict
from .rules.format_locking import FormatLocking
from .rules.joined_lines import JoinedLines
from .rules.missing_eval import MissingEval
from .rules.missing_owner import MissingOwner
from .rules.missing_purpose import MissingPurpose
from .rules.risk_boundary import RiskBoundary
from .rules.stale_evaluation import StaleEvaluation
from .rules.stale_tool_reference import StaleToolReference, UnusedTool
from .rules.token_budget import TokenBudget
from .rules.tone_collision import ToneCollision
from .rules.unused_fragment import UnusedFragment
from .rules.unused_import import UnusedImport
from .rules.unused_input import UnusedInput
from .rules.unvalidated_variable import UnvalidatedVariable

RULES: list[type[Rule]] = [
    StaleToolReference,          # PC501
    UnusedTool,                  # PC502
    ConflictingInstructions,     # PC503
    ToneCollision,               # PC504
    FormatConflict,              # PC505
    RiskBoundary,                # PC506
    FormatLocking,               # PC507
    UnvalidatedVariable,         # PC508
    UnusedInput,                 # PC509
    UnusedImport,                # PC510
    UnusedFragment,              # PC511
    DuplicateInstruction,        # PC512
    MissingOwner,                # PC513
    MissingPurpose,              # PC514
    StaleEvaluation,             # PC515
    MissingEval,                 # PC516
    TokenBudget,                 # PC517
    JoinedLines,                 # PC518
]


def rule_by_name(name: str) -> type[Rule] | None:
    for rule in RULES:
        if rule.code.name == name or rule.code.id == name:
            return rule
    return None
