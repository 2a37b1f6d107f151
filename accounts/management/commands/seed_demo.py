from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.models import Area, Estate, Organisation, User

DISTRICT = "示范区"
SUBDISTRICTS = {
    "东湖街道": ["桂花社区", "枫林社区", "清水社区"],
    "西山街道": ["翠竹社区", "阳光社区", "和平社区"],
}
ESTATES = ["花园小区", "新村小区"]

# username, full name, role, phone, served area (by name; None = none)
USERS = [
    ("admin", "系统管理员", User.Role.ADMINISTRATOR, None, DISTRICT),
    ("supervisor1", "王主任", User.Role.SUPERVISOR, "13900000001", DISTRICT),
    ("supervisor2", "赵书记", User.Role.SUPERVISOR, "13900000002", "东湖街道"),
    ("supervisor3", "钱主任", User.Role.SUPERVISOR, "13900000003", "桂花社区"),
    ("mediator1", "李调解", User.Role.MEDIATOR, "13900000011", "桂花社区"),
    ("mediator2", "周调解", User.Role.MEDIATOR, "13900000012", "枫林社区"),
    ("mediator3", "吴调解", User.Role.MEDIATOR, "13900000013", "翠竹社区"),
    ("gridworker1", "孙网格", User.Role.MEDIATOR, "13900000021", "桂花社区第一网格"),
    # 区矛调中心: the district governance centre takes the cases escalated to the district tier.
    ("centre1", "区矛调中心 陈调解", User.Role.MEDIATOR, "13900000031", DISTRICT),
    ("resident1", "张三", User.Role.RESIDENT, "13800000001", None),
    ("resident2", "李四", User.Role.RESIDENT, "13800000002", None),
]


class Command(BaseCommand):
    help = "Load demo areas, estates, organisations and users of every role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo12345", help="Password of every demo user.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any area exists.")

    def handle(self, *args, password: str, if_empty: bool, **options):
        if if_empty and Area.objects.exists():
            self.stdout.write("Demo data: the database already has areas; nothing loaded.")
            return
        with transaction.atomic():
            areas = self._areas()
            self._users(areas, password)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded. Logins (password: {password}):"))
        for username, name, role, _phone, area in USERS:
            self.stdout.write(f"  {username:<12} {role.label:<14} {name} {area or ''}")

    def _area(self, name, kind, parent) -> Area:
        existing = Area.objects.filter(name=name, parent=parent).first()
        return existing or services.area_create(name=name, kind=kind, parent=parent)

    def _areas(self) -> dict[str, Area]:
        by_name = {}
        district = by_name[DISTRICT] = self._area(DISTRICT, Area.Kind.DISTRICT, None)
        for sub_name, communities in SUBDISTRICTS.items():
            sub = by_name[sub_name] = self._area(sub_name, Area.Kind.SUBDISTRICT, district)
            for c_name in communities:
                community = by_name[c_name] = self._area(c_name, Area.Kind.COMMUNITY, sub)
                grids = []
                for n in "一二三四":
                    g_name = f"{c_name}第{n}网格"
                    grids.append(self._area(g_name, Area.Kind.GRID, community))
                    by_name[g_name] = grids[-1]
                Organisation.objects.get_or_create(
                    name=f"{c_name}居民委员会",
                    defaults={"kind": Organisation.Kind.RESIDENTS_COMMITTEE, "area": community},
                )
                for i, e_name in enumerate(ESTATES):
                    full = f"{c_name[:2]}{e_name}"
                    pm, _ = Organisation.objects.get_or_create(
                        name=f"{full}物业服务有限公司",
                        defaults={"kind": Organisation.Kind.PROPERTY_MANAGER, "area": community},
                    )
                    oc, _ = Organisation.objects.get_or_create(
                        name=f"{full}业主委员会",
                        defaults={"kind": Organisation.Kind.OWNERS_COMMITTEE, "area": community},
                    )
                    Estate.objects.get_or_create(
                        community=community,
                        name=full,
                        defaults={"grid": grids[i], "property_manager": pm, "owners_committee": oc},
                    )
        return by_name

    def _users(self, areas: dict[str, Area], password: str) -> None:
        for username, name, role, phone, area in USERS:
            user = User.objects.filter(username=username).first() or User(username=username)
            user.full_name = name
            user.phone = phone
            user.email = f"{username}@example.com"
            user.is_superuser = role == User.Role.ADMINISTRATOR
            user.set_password(password)
            user.save()
            services.user_set_role(user=user, role=role)
            if area:
                user.areas.set([areas[area]])
