from disputes.models.cases import CASE_TRANSITIONS, Case, CaseNumberCounter, Category
from disputes.models.claims import ClaimEvent, ClaimNumberCounter, ClaimRepresentative, CollectiveClaim
from disputes.models.closure import Agreement, AgreementSignature, FollowUp
from disputes.models.events import CaseEvent, InboxMessage, PersonalDataView
from disputes.models.exports import LedgerExport
from disputes.models.meetings import AgendaItem, Meeting, MeetingSeat, Resolution, SeatTemplate
from disputes.models.parties import Evidence, Party
from disputes.models.reminders import ClockRestamp, DeadlinePolicy, Reminder, Rule
from disputes.models.sessions import MediationSession, PoliceReport
from disputes.models.stats import CaseDayStat, CaseMonthStat

__all__ = [
    "CASE_TRANSITIONS",
    "AgendaItem",
    "Agreement",
    "AgreementSignature",
    "Case",
    "CaseDayStat",
    "CaseEvent",
    "CaseMonthStat",
    "CaseNumberCounter",
    "Category",
    "ClaimEvent",
    "ClaimNumberCounter",
    "ClaimRepresentative",
    "CollectiveClaim",
    "ClockRestamp",
    "DeadlinePolicy",
    "Evidence",
    "FollowUp",
    "InboxMessage",
    "LedgerExport",
    "MediationSession",
    "Meeting",
    "MeetingSeat",
    "Party",
    "PersonalDataView",
    "PoliceReport",
    "Reminder",
    "Resolution",
    "Rule",
    "SeatTemplate",
]
