"""Writes with consequences. The case lifecycle is in services/cases.py (re-exported here, so
`from disputes import services; services.case_accept(...)` reads naturally); meetings, closure
and reminders have modules of their own."""

from disputes.services.cases import *  # noqa: F403
from disputes.services.cases import (  # noqa: F401  (names used by callers, listed for readers)
    CaseError,
    InvalidTransition,
    PartyData,
    StaleCase,
    _case_write,
    case_event_record,
    case_transition,
)
