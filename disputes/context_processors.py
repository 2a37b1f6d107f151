from django.utils.functional import SimpleLazyObject

from disputes import selectors


def inbox(request) -> dict:
    """`inbox_unread` for the navbar of every page: counted only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"inbox_unread": 0}
    return {"inbox_unread": SimpleLazyObject(lambda: selectors.inbox_unread_count(user))}
