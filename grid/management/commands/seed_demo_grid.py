"""Demo grid people for `make run`: grid worker grid1 and grid head gridhead1 of 桂花社区第一网格,
a building head, and a volunteer and a party member registered with 桂花社区.

    python manage.py seed_demo_grid      # after seed_demo; idempotent; nothing on a database
                                         # without the demo areas
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services as account_services
from accounts.models import Area, Estate, User
from grid.models import GridMember

GRID = "桂花社区第一网格"
COMMUNITY = "桂花社区"
# username, full name, phone, grid role, place ("grid" or "community"), published phone, office hours
PEOPLE = [
    ("grid1", "孙小格", "13900000041", GridMember.Role.GRID_WORKER, "grid", "13900000041", "周一至周五 9:00-17:00"),
    ("gridhead1", "钱网长", "13900000042", GridMember.Role.GRID_HEAD, "grid", "13900000042", ""),
    ("buildinghead1", "赵楼长", "13800000051", GridMember.Role.BUILDING_HEAD, "grid", "", ""),
    ("volunteer1", "周志愿", "13800000052", GridMember.Role.VOLUNTEER, "community", "", ""),
    ("partymember1", "吴党员", "13800000053", GridMember.Role.PARTY_MEMBER, "community", "", ""),
]


class Command(BaseCommand):
    help = "Load demo grid workers, a building head, a volunteer and a party member (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo12345", help="Password of the new demo users.")

    def handle(self, *args, password: str, **options):
        grid = Area.objects.filter(name=GRID, kind=Area.Kind.GRID).first()
        if grid is None:
            self.stdout.write("Demo grid: no demo areas (run seed_demo first); nothing loaded.")
            return
        places = {"grid": grid, "community": grid.parent}
        estate = Estate.objects.filter(grid=grid).first()
        with transaction.atomic():
            for username, name, phone, role, place, published, hours in PEOPLE:
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User.objects.create_user(
                        username=username,
                        password=password,
                        full_name=name,
                        phone=phone,
                        email=f"{username}@example.com",
                    )
                    # Grid people keep their account role (resident): a grid worker is not a mediator.
                    account_services.user_set_role(user=user, role=User.Role.RESIDENT)
                building = "1号楼" if role == GridMember.Role.BUILDING_HEAD else ""
                GridMember.objects.get_or_create(
                    user=user,
                    role=role,
                    area=places[place],
                    estate=estate if building else None,
                    building=building,
                    defaults={"published_phone": published, "office_hours": hours},
                )
        self.stdout.write(self.style.SUCCESS("Demo grid people loaded: " + ", ".join(p[0] for p in PEOPLE)))
