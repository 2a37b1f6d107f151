"""Reads of grid work with more than one caller."""

from django.db.models import QuerySet

from accounts.models import User
from grid.access import diary_entries_visible_to
from grid.models import DiaryEntry

DIARY_PAGE = 30


def diary_list_for(user: User, *, limit: int = DIARY_PAGE) -> QuerySet[DiaryEntry]:
    """A worker's own newest entries (the index diary_author_newest), with what each row shows."""
    return (
        diary_entries_visible_to(user)
        .filter(author=user)
        .select_related("grid", "estate", "case")
        .order_by("-happened_at", "-id")[:limit]
    )
