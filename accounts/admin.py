from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Area, Estate, Organisation, User
from accounts.validators import mask_phone
from config.admin_inputs import SafeInputsAdmin

# Django's own Group admin, with the same guard on malformed changelist input as ours.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SafeInputsAdmin, BaseGroupAdmin):
    pass


@admin.register(Area)
class AreaAdmin(SafeInputsAdmin, admin.ModelAdmin):
    list_display = ["indented_name", "kind", "code", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    fields = ["name", "kind", "parent", "code"]

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj: Area) -> str:
        return "\u3000" * (obj.depth - 1) + obj.name

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.area_create(name=obj.name, kind=obj.kind, parent=obj.parent, code=obj.code)
            obj.pk, obj.path = created.pk, created.path
            return
        obj.save(update_fields=["name", "kind", "code"])
        if "parent" in form.changed_data:
            services.area_move(area=obj, parent=obj.parent)


@admin.register(Organisation)
class OrganisationAdmin(SafeInputsAdmin, admin.ModelAdmin):
    list_display = ["name", "kind", "area", "contact_name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["area"]
    autocomplete_fields = ["area"]


@admin.register(Estate)
class EstateAdmin(SafeInputsAdmin, admin.ModelAdmin):
    list_display = ["name", "community", "grid", "property_manager", "owners_committee"]
    list_filter = ["community__parent"]
    search_fields = ["name"]
    list_select_related = ["community", "grid", "property_manager", "owners_committee"]
    autocomplete_fields = ["community", "grid", "property_manager", "owners_committee"]


@admin.register(User)
class UserAdmin(SafeInputsAdmin, BaseUserAdmin):
    list_display = ["username", "full_name", "masked_phone", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "areas__kind"]
    search_fields = ["username", "full_name", "phone", "email"]
    filter_horizontal = ["areas", "groups", "user_permissions"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["full_name", "phone", "email", "language"]}),
        (_("Role and areas"), {"fields": ["role", "areas", "is_active"]}),
        (
            _("Advanced permissions"),
            {"classes": ["collapse"], "fields": ["is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "full_name", "role", "password1", "password2"]}),
    ]

    @admin.display(description=_("mobile number"), ordering="phone")
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.user_set_role(user=obj, role=obj.role)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The groups widget must not undo the role: the role decides the role group.
        services.user_set_role(user=form.instance, role=form.instance.role)
