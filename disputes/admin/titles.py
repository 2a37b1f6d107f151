"""Worker's lists are titled by what they hold ("纠纷案件", "群体性诉求"), not with Django's stock
"选择 … 来修改": nothing on them is edited in place, and the list is the worker's queue."""

from django.utils.text import capfirst


class PlainListTitle:
    """Mix in before admin.ModelAdmin."""

    def changelist_view(self, request, extra_context=None):
        title = capfirst(self.model._meta.verbose_name_plural)
        return super().changelist_view(request, {"title": title, **(extra_context or {})})
