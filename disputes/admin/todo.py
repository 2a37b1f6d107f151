"""The to-do queue: the admin's landing page for staff (config/urls.py puts it at /admin/, where
login takes them). Every line is one click from its case; the model list stays below it."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext

from disputes import selectors


def todo_view(request):
    todo = selectors.todo_for_user(request.user, now=timezone.now())
    context = {
        **admin.site.each_context(request),
        "title": gettext("My to-do list"),
        "todo": todo,
        "is_empty": not any(todo.values()),
        "app_list": admin.site.get_app_list(request),
    }
    return TemplateResponse(request, "admin/todo.html", context)
