"""Give the demo resident (seed_demo's resident1) cases of their own, filed and worked through the
real services, so that `make run` shows a resident's side too: a case in mediation with its
timeline and mediator, and a new one against resident2.

    python manage.py seed_demo_cases     # after seed_demo; does nothing once resident1 has a case,
                                         # nor on a database without the demo users
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Area, User
from disputes import services
from disputes.models import Case, Category, Party


class Command(BaseCommand):
    help = "File two cases for the demo resident resident1 (idempotent)."

    def handle(self, *args, **options):
        users = {u.username: u for u in User.objects.filter(username__in=["resident1", "resident2", "mediator1"])}
        grid = Area.objects.filter(name="桂花社区第一网格").first()
        if len(users) < 3 or grid is None:  # a real database: seed_demo --if-empty loaded nothing
            self.stdout.write("Demo cases: no demo users (run seed_demo first); nothing filed.")
            return
        resident, neighbour, mediator = users["resident1"], users["resident2"], users["mediator1"]
        if Party.objects.filter(user=resident).exists():
            self.stdout.write("Demo cases: resident1 already has cases; nothing filed.")
            return
        with transaction.atomic():
            noise = self._file(
                resident,
                neighbour,
                grid,
                "neighbours",
                title="楼上深夜噪音",
                summary="楼上住户每晚十一点后拖动家具、走路声很重，已持续两个月，当面沟通过两次没有改善。",
                request="晚上十点以后保持安静，必要时在地板上铺地毯。",
                building="3号楼2单元",
            )
            services.case_accept(case=noise, actor=mediator, mediator=mediator, note="先分别听取双方意见。")
            services.case_acknowledge(case=noise, actor=mediator)
            self._file(
                resident,
                None,
                grid,
                "property_services",
                title="电梯经常停运",
                summary="小区5号楼电梯本月已停运四次，老人上下楼困难，物业答复一直在等配件。",
                request="物业说明维修时间，尽快修复，停运期间提供帮助。",
                building="5号楼",
            )
        self.stdout.write(self.style.SUCCESS("Demo cases filed for resident1 (one in mediation, one new)."))

    def _file(self, resident, respondent, grid, category_code, **fields) -> Case:
        parties = [
            services.PartyData(role=Party.Role.APPLICANT, name=resident.full_name, phone=resident.phone, user=resident)
        ]
        if respondent is not None:
            parties.append(
                services.PartyData(
                    role=Party.Role.RESPONDENT, name=respondent.full_name, phone=respondent.phone, user=respondent
                )
            )
        category = Category.objects.filter(code=category_code).first() or Category.objects.first()
        case, _created = services.case_submit(
            filed_by=resident, parties=parties, category_id=category.pk, area_id=grid.pk, **fields
        )
        return case
