"""The to-do queue: the admin's index (config/admin.py), where login takes staff. Every line is
one click from its case; the model list stays below it."""

from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext

from disputes import selectors


def todo_view(request, *, site, extra_context=None):
    todo = selectors.todo_for_user(request.user, now=timezone.now())
    context = {
        **site.each_context(request),
        "title": gettext("My to-do list"),
        "todo": todo,
        "is_empty": not any(todo.values()),
        "app_list": site.get_app_list(request),
        **(extra_context or {}),
    }
    return TemplateResponse(request, "admin/todo.html", context)
