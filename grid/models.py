"""Grid work (DESIGN §9): who works in which grid, the field diary, screening campaigns."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Estate


class GridMember(models.Model):
    """A person's grid role, beside their account role: a grid worker is not a mediator, and a
    building head is still a resident. Each row names the place the role covers."""

    class Role(models.TextChoices):
        GRID_WORKER = "grid_worker", _("Grid worker")
        GRID_HEAD = "grid_head", _("Grid head")
        BUILDING_HEAD = "building_head", _("Building head")
        NEIGHBOUR_HEAD = "neighbour_head", _("Neighbour head")
        VOLUNTEER = "volunteer", _("Volunteer")
        PARTY_MEMBER = "party_member", _("Party member registered with the community")

    # Who keeps a diary and files screening reports for the grids under their area.
    DIARY_ROLES = (Role.GRID_WORKER, Role.GRID_HEAD)
    # Residents who report from their building.
    REPORTER_ROLES = (Role.BUILDING_HEAD, Role.NEIGHBOUR_HEAD)
    HELPER_ROLES = (Role.VOLUNTEER, Role.PARTY_MEMBER)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="grid_roles"
    )
    role = models.CharField(_("grid role"), max_length=20, choices=Role)
    # A grid for workers and heads (a grid head may head a community's grids); the community for
    # volunteers and party members; the grid of the building for building and neighbour heads.
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="grid_members")
    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), null=True, blank=True, on_delete=models.PROTECT, related_name="grid_members"
    )
    building = models.CharField(_("building"), max_length=50, blank=True)
    published_phone = models.CharField(
        _("published phone"),
        max_length=20,
        blank=True,
        help_text=_("Shown on contact cards; leave empty to publish no number."),
    )
    office_hours = models.CharField(_("office hours"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("grid role")
        verbose_name_plural = _("grid roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "area", "estate", "building"], name="grid_member_unique_role_place"
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["building_head", "neighbour_head"]) | Q(estate__isnull=False) & ~Q(building=""),
                name="grid_member_building_heads_have_a_building",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area}"


class DiaryEntry(models.Model):
    """One visit or call in a grid worker's field diary (民情日记)."""

    class Contact(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Phone call")

    class Kind(models.TextChoices):
        DISPUTE = "dispute", _("Dispute")
        HAZARD = "hazard", _("Hazard")
        OPINION = "opinion", _("Opinion or suggestion")
        HELP = "help", _("Help needed")
        NOTHING = "nothing", _("Nothing to report")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), on_delete=models.PROTECT, related_name="diary_entries"
    )
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="diary_entries",
        limit_choices_to={"kind": Area.Kind.GRID},
    )
    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), null=True, blank=True, on_delete=models.PROTECT, related_name="diary_entries"
    )
    building = models.CharField(_("building"), max_length=50, blank=True)
    household = models.CharField(_("household"), max_length=50, blank=True)
    contact = models.CharField(_("visit or call"), max_length=10, choices=Contact, default=Contact.VISIT)
    happened_at = models.DateTimeField(_("when"))
    people = models.CharField(_("who"), max_length=100, blank=True)
    kind = models.CharField(_("what was found"), max_length=10, choices=Kind)
    found = models.TextField(_("what was found, in words"), blank=True)
    action = models.TextField(_("what was done"), blank=True)
    result = models.TextField(_("result"), blank=True)
    hazard_removed_at = models.DateTimeField(_("hazard removed at"), null=True, blank=True)
    # The follow-up of a hazard (整改完成): who marked it removed and how; a photo is a DiaryPhoto
    # with removal=True.
    hazard_removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    hazard_removed_note = models.TextField(_("how the hazard was removed"), blank=True)
    # Made on the phone when the entry is typed: a resend after a lost answer finds this row.
    idempotency_key = models.UUIDField(unique=True, editable=False)
    case = models.OneToOneField(
        "disputes.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="diary_entry",
        editable=False,
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("diary entry")
        verbose_name_plural = _("diary entries")
        indexes = [
            # used by grid.selectors.diary_list_for (a worker's newest entries first)
            models.Index(fields=["author", "-happened_at", "-id"], name="diary_author_newest"),
            # used by the figures per grid and period
            models.Index(fields=["grid", "kind", "happened_at"], name="diary_grid_kind_when"),
            # used by grid.lists.diary_entries_for (an area's newest entries, of a kind)
            models.Index(fields=["kind", "-happened_at", "-id"], name="diary_kind_newest"),
            # used by grid.lists.diary_entries_for (hazards removed in a period, newest first)
            models.Index(
                fields=["-hazard_removed_at", "-id"],
                condition=Q(hazard_removed_at__isnull=False),
                name="diary_hazard_removed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.grid} · {self.happened_at:%Y-%m-%d}"


class DiaryPhoto(models.Model):
    entry = models.ForeignKey(DiaryEntry, on_delete=models.CASCADE, related_name="photos")
    # Taken when the hazard was removed (the follow-up), not at the visit.
    removal = models.BooleanField(default=False)
    file = models.FileField(upload_to="diary/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("diary photo")
        verbose_name_plural = _("diary photos")

    def __str__(self) -> str:
        return self.original_name


class Campaign(models.Model):
    """A screening campaign (安全大排查, 网格摸底) for an area and one period."""

    title = models.CharField(_("title"), max_length=100)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="campaigns")
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    due_at = models.DateTimeField(_("reports due"))
    checklist = models.TextField(_("checklist"), help_text=_("One item a line."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns_started", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A monthly campaign (每月安全大走访) is started again for the next month when its period ends
    # (grid.services.campaigns_repeat); `previous` is unique, so each month is made once.
    repeats_monthly = models.BooleanField(_("repeat every month"), default=False)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_campaign", editable=False
    )

    class Meta:
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="campaign_period_order")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]


class ScreeningReport(models.Model):
    """A grid's report for a campaign: checked, found, fixed; a zero report finds nothing."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reports")
    grid = models.ForeignKey(Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="screening_reports")
    checked = models.PositiveIntegerField(_("places checked"))
    found = models.PositiveIntegerField(_("problems found"), default=0)
    fixed = models.PositiveIntegerField(_("problems fixed"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed at"))

    class Meta:
        verbose_name = _("screening report")
        verbose_name_plural = _("screening reports")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "grid"], name="screening_report_one_per_grid"),
            models.CheckConstraint(condition=Q(fixed__lte=models.F("found")), name="screening_report_fixed_le_found"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.grid}"

    @property
    def is_zero(self) -> bool:
        return self.found == 0


class ServiceOrder(models.Model):
    """群众点单 · 社区派单 · 党员接单: a resident's request for help, dispatched by the grid worker or
    the community to a volunteer or party member (or taken by the worker), done, confirmed and rated."""

    class Status(models.TextChoices):
        POSTED = "posted", _("Posted")
        DISPATCHED = "dispatched", _("Dispatched")
        ACCEPTED = "accepted", _("Accepted")
        DONE = "done", _("Done")
        CONFIRMED = "confirmed", _("Confirmed")
        CASE = "case", _("Became a case")
        CANCELLED = "cancelled", _("Cancelled")

    class Rating(models.IntegerChoices):
        POOR = 1, _("Not satisfied")
        FAIR = 2, _("Fairly satisfied")
        GOOD = 3, _("Satisfied")

    OPEN_STATUSES = (Status.POSTED, Status.DISPATCHED, Status.ACCEPTED)

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="service_orders"
    )
    # A building head may post for a neighbour: they are the poster, the neighbour is named.
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.CharField(_("for whom"), max_length=50, blank=True)
    grid = models.ForeignKey(Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="service_orders")
    estate = models.ForeignKey(Estate, verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+")
    building = models.CharField(_("building"), max_length=50, blank=True)
    what = models.TextField(_("what is needed"))
    needed_by = models.DateTimeField(_("needed by"))
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.POSTED, editable=False)
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders_taken",
    )
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, editable=False)
    accepted_at = models.DateTimeField(null=True, editable=False)
    done_at = models.DateTimeField(null=True, editable=False)
    done_note = models.TextField(_("what was done"), blank=True)
    done_photo = models.FileField(_("photo"), upload_to="orders/%Y/%m/", blank=True)
    confirmed_at = models.DateTimeField(null=True, editable=False)
    rating = models.PositiveSmallIntegerField(_("rating"), choices=Rating, null=True, blank=True)
    case = models.OneToOneField(
        "disputes.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="service_order", editable=False
    )

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-posted_at", "-id"]
        indexes = [
            # used by the reminder rules (disputes.services.reminders.rules.find_orders): open orders
            # by age and by "needed by"
            models.Index(fields=["status", "posted_at"], name="order_status_posted"),
            models.Index(fields=["status", "needed_by"], name="order_status_needed_by"),
        ]

    def __str__(self) -> str:
        return self.what[:40]


ORDER_TRANSITIONS = {
    ServiceOrder.Status.POSTED: (
        ServiceOrder.Status.DISPATCHED,
        ServiceOrder.Status.CASE,
        ServiceOrder.Status.CANCELLED,
    ),
    ServiceOrder.Status.DISPATCHED: (
        ServiceOrder.Status.ACCEPTED,
        ServiceOrder.Status.DISPATCHED,
        ServiceOrder.Status.CASE,
        ServiceOrder.Status.CANCELLED,
    ),
    ServiceOrder.Status.ACCEPTED: (ServiceOrder.Status.DONE, ServiceOrder.Status.CASE),
    ServiceOrder.Status.DONE: (ServiceOrder.Status.CONFIRMED,),
}


class GridStatCounters(models.Model):
    """The grid figures of one grid over a day or a month, kept by the grid services in the same
    transaction as the row they count (as disputes.stats keeps the dispute figures), so the
    dashboard sums a few thousand small rows instead of counting millions of diary entries.
    grid.stats.grid_stats_rebuild recomputes them from the rows and must give the same numbers."""

    # No index of its own: the unique (grid, day|month) key serves lookups by grid, and a grid-only
    # index let PostgreSQL merge-join along it, reading every row instead of the period's range.
    grid = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+", db_index=False)
    opinions = models.PositiveIntegerField(default=0)
    disputes_found = models.PositiveIntegerField(default=0)
    hazards_found = models.PositiveIntegerField(default=0)
    hazards_removed = models.PositiveIntegerField(default=0)
    orders_posted = models.PositiveIntegerField(default=0)
    orders_taken = models.PositiveIntegerField(default=0)
    orders_done = models.PositiveIntegerField(default=0)
    orders_satisfied = models.PositiveIntegerField(default=0)

    FIGURES = (
        "opinions",
        "disputes_found",
        "hazards_found",
        "hazards_removed",
        "orders_posted",
        "orders_taken",
        "orders_done",
        "orders_satisfied",
    )

    class Meta:
        abstract = True


class GridDayStat(GridStatCounters):
    """The figures of one grid and day: the days at a period's edges."""

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid", "day"], name="grid_day_stat_unique")]
        # used by grid.stats.grid_figures: a period's days, read from the index alone (PostgreSQL
        # INCLUDE; without it the planner merge-joined along the (grid, day) key, 20 ms at 2M entries)
        indexes = [
            models.Index(fields=["day", "grid"], include=GridStatCounters.FIGURES, name="grid_day_stat_day_cover")
        ]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.day}"


class GridMonthStat(GridStatCounters):
    """The same figures summed per grid and month (`month` is its first day), kept alongside the
    daily rows: a year of 500 grids is 6,000 rows instead of 180,000 (disputes.CaseMonthStat)."""

    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid", "month"], name="grid_month_stat_unique")]
        # used by grid.stats.grid_figures (a period's whole months, from the index alone)
        indexes = [
            models.Index(
                fields=["month", "grid"], include=GridStatCounters.FIGURES, name="grid_month_stat_month_cover"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.month:%Y-%m}"
