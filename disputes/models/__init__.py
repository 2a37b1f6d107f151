from disputes.models.cases import CASE_TRANSITIONS, Case, CaseNumberCounter, Category
from disputes.models.events import CaseEvent, InboxMessage, PersonalDataView
from disputes.models.parties import Evidence, Party
from disputes.models.reminders import DeadlinePolicy, Reminder

__all__ = [
    "CASE_TRANSITIONS",
    "Case",
    "CaseEvent",
    "CaseNumberCounter",
    "Category",
    "DeadlinePolicy",
    "Evidence",
    "InboxMessage",
    "Party",
    "PersonalDataView",
    "Reminder",
]
