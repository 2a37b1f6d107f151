from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static import admin as otp_static_admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa, services
from accounts.models import Area, Estate, Organisation, OutboundSms, User
from accounts.validators import MOBILE_RE, mask_phone, normalise_phone
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
    list_display = ["user_name", "full_name", "masked_phone", "role", "is_active", "last_login"]
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

    actions = ["mfa_reset"]

    @admin.action(description=_("Reset two-step sign-in (lost phone)"), permissions=["change"])
    def mfa_reset(self, request, queryset):
        users = list(queryset)
        for user in users:
            mfa.mfa_reset(user=user)
        self.message_user(
            request,
            ngettext(
                "Two-step sign-in was reset for %(count)d user: they set it up again at their next sign-in.",
                "Two-step sign-in was reset for %(count)d users: they set it up again at their next sign-in.",
                len(users),
            )
            % {"count": len(users)},
        )

    @admin.display(description=_("user name"), ordering="username")
    def user_name(self, obj: User) -> str:
        return obj.display_username

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


# django-axes keeps the user name as typed at a failed sign-in: for residents, a phone number.
# Its admin lists show it masked (DESIGN §11); the change page still shows it to administrators.
class _MaskedAxesUsername:
    @admin.display(description=_("user name"), ordering="username")
    def masked_username(self, obj) -> str:
        return mask_phone(obj.username) if MOBILE_RE.match(normalise_phone(obj.username or "")) else obj.username

    def get_list_display(self, request):
        return ["masked_username" if f == "username" else f for f in super().get_list_display(request)]


class AccessAttemptAdmin(SafeInputsAdmin, _MaskedAxesUsername, axes_admin.AccessAttemptAdmin):
    pass


class AccessLogAdmin(SafeInputsAdmin, _MaskedAxesUsername, axes_admin.AccessLogAdmin):
    pass


class AccessFailureLogAdmin(SafeInputsAdmin, _MaskedAxesUsername, axes_admin.AccessFailureLogAdmin):
    pass


# django-otp's device admins, with the guard on malformed changelist input. Their QR-code and
# secret pages are off (OTP_ADMIN_HIDE_SENSITIVE_DATA): an administrator resets a device, and never
# sees another person's second factor.
class TOTPDeviceAdmin(SafeInputsAdmin, otp_totp_admin.TOTPDeviceAdmin):
    pass


class StaticDeviceAdmin(SafeInputsAdmin, otp_static_admin.StaticDeviceAdmin):
    pass


for _model, _admin in [
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
    (TOTPDevice, TOTPDeviceAdmin),
    (StaticDevice, StaticDeviceAdmin),
]:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)


@admin.register(OutboundSms)
class OutboundSmsAdmin(SafeInputsAdmin, admin.ModelAdmin):
    """The SMS outbox, read-only: what was sent, what waits for its back-off, what FAILED and why.
    Numbers masked; parameters (a case number and a link) shown, a code never (wiped once sent)."""

    list_display = ["created_at", "template", "masked_phone", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "template"]
    search_fields = ["key"]
    list_select_related = []
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboundSms._meta.fields if f.name != "phone"] + ["masked_phone"]
    exclude = ["phone"]

    @admin.display(description=_("mobile number"))
    def masked_phone(self, obj: OutboundSms) -> str:
        return mask_phone(obj.phone)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
