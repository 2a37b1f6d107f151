from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import MOBILE_RE, mask_phone, validate_mainland_mobile


class Area(models.Model):
    """A node of the area tree: district → subdistrict → community → grid.

    `path` is a materialised path of ids ("/3/17/42/") so that a whole subtree is one indexed
    prefix query (`path LIKE '/3/17/%'`) instead of a query per level.
    """

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District")
        SUBDISTRICT = "subdistrict", _("Subdistrict")
        COMMUNITY = "community", _("Community")
        GRID = "grid", _("Grid")

    CHILD_KIND = {
        Kind.DISTRICT: Kind.SUBDISTRICT,
        Kind.SUBDISTRICT: Kind.COMMUNITY,
        Kind.COMMUNITY: Kind.GRID,
    }

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("level"), max_length=20, choices=Kind)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent area"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(_("code"), max_length=32, blank=True)
    # db_index on a CharField also gives PostgreSQL a varchar_pattern_ops index for LIKE 'prefix%'.
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="area_unique_name_in_parent"),
            models.CheckConstraint(
                condition=Q(kind="district", parent__isnull=True) | Q(parent__isnull=False),
                name="area_only_districts_are_roots",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


class Organisation(models.Model):
    class Kind(models.TextChoices):
        RESIDENTS_COMMITTEE = "residents_committee", _("Residents' committee")
        OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
        PROPERTY_MANAGER = "property_manager", _("Property-management company")
        MEDIATION_COMMITTEE = "mediation_committee", _("People's mediation committee")
        DEPARTMENT = "department", _("Government department")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT, related_name="organisations"
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Estate(models.Model):
    """A residential estate (小区) in a community, with its property manager and owners' committee."""

    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        Area,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="estates",
        limit_choices_to={"kind": Area.Kind.COMMUNITY},
    )
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grid_estates",
        limit_choices_to={"kind": Area.Kind.GRID},
    )
    property_manager = models.ForeignKey(
        Organisation,
        verbose_name=_("property-management company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_estates",
        limit_choices_to={"kind": Organisation.Kind.PROPERTY_MANAGER},
    )
    owners_committee = models.ForeignKey(
        Organisation,
        verbose_name=_("owners' committee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="committee_estates",
        limit_choices_to={"kind": Organisation.Kind.OWNERS_COMMITTEE},
    )

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="estate_unique_name_in_community")]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        MEDIATOR = "mediator", _("Mediator")
        SUPERVISOR = "supervisor", _("Supervisor")
        ADMINISTRATOR = "administrator", _("Administrator")

    STAFF_ROLES = (Role.MEDIATOR, Role.SUPERVISOR, Role.ADMINISTRATOR)

    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.RESIDENT)
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(
        _("mobile number"), max_length=11, unique=True, null=True, blank=True, validators=[validate_mainland_mobile]
    )
    areas = models.ManyToManyField(
        Area,
        verbose_name=_("areas served"),
        blank=True,
        related_name="staff",
        help_text=_("Staff see and handle only the cases in these areas and the areas below them."),
    )
    language = models.CharField(
        _("language"), max_length=10, blank=True, help_text=_("Language of the emails this user receives.")
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.display_username

    @property
    def display_username(self) -> str:
        """The user name for lists: masked if it is a mobile number (older accounts, or staff named so)."""
        return mask_phone(self.username) if MOBILE_RE.match(self.username or "") else self.username

    def get_short_name(self) -> str:
        # The admin's header greets with this: 欢迎，陈米娅, not the login name in capitals.
        return self.full_name or self.username

    @property
    def is_resident(self) -> bool:
        return self.role == self.Role.RESIDENT

    @property
    def is_supervisor(self) -> bool:
        return self.role in (self.Role.SUPERVISOR, self.Role.ADMINISTRATOR)
