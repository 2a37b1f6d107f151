import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models.functions import Right
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from disputes.models.cases import Case


class Party(models.Model):
    class Role(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        RESPONDENT = "respondent", _("Respondent")
        THIRD_PARTY = "third_party", _("Third party")

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=20, choices=Role)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The last four digits, what people quote of a number: an equality on this column's index
    # (disputes.selectors.case_search).
    phone_last4 = models.GeneratedField(
        expression=Right("phone", 4), output_field=models.CharField(max_length=4), db_persist=True
    )
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # The resident account behind this party, if any: residents see the cases they are parties to.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_parties",
    )
    # Mediation is voluntary (People's Mediation Law Art. 17): None = not asked yet.
    consents_to_mediation = models.BooleanField(_("consents to mediation"), null=True, blank=True)
    consent_recorded_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True, editable=False)
    # Consent or refusal given on paper: the day it was signed and the scan (disputes.services.parties).
    consent_given_on = models.DateField(_("consent given on"), null=True, blank=True)
    consent_scan = models.ForeignKey(
        "Evidence",
        verbose_name=_("scan of the consent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("linked to the account at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["case", "role", "pk"]
        indexes = [
            # "My cases" of a resident and every access check: parties by account.
            models.Index(fields=["user", "case"], name="party_user_case"),
            # case_search: a full phone number (equality) or its first digits, its last four, a
            # name's beginning (LIKE 'x%' on PostgreSQL: the pattern operator class; a range on
            # SQLite). With case_id in the index the search reads no party rows at all.
            models.Index(
                fields=["phone", "case"], opclasses=["varchar_pattern_ops", "int8_ops"], name="party_phone_prefix"
            ),
            models.Index(fields=["phone_last4", "case"], name="party_phone_last4"),
            models.Index(
                fields=["name", "case"], opclasses=["varchar_pattern_ops", "int8_ops"], name="party_name_prefix"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    # A random name: the original is kept in a field, never used as a path.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Evidence(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    # The stored copy of a photo has lost its location (disputes.uploads.strip_location); the hash of
    # the file as uploaded proves that it is the same photo, the other that the copy is unchanged.
    original_sha256 = models.CharField(_("SHA-256 of the file as uploaded"), max_length=64, blank=True, editable=False)
    stored_sha256 = models.CharField(_("SHA-256 of the stored file"), max_length=64, blank=True, editable=False)
    location_removed = models.BooleanField(_("location removed"), default=False, editable=False)
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
