import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import Area
from accounts.selectors import area_list_for_user
from disputes.visibility import cases_visible_to
from tests.factories import make_case

pytestmark = pytest.mark.django_db


class AreaScopeTests:
    def test_paths_follow_the_tree(self, areas):
        assert areas["D"].path == f"/{areas['D'].pk}/"
        assert areas["G1"].path == f"{areas['C1'].path}{areas['G1'].pk}/"

    def test_a_community_mediator_sees_their_community_and_its_grids(self, areas, mia):
        names = set(area_list_for_user(mia).values_list("name", flat=True))
        assert names == {"Community 1", "Grid 1"}

    def test_a_district_supervisor_sees_the_whole_tree(self, areas, sam):
        assert area_list_for_user(sam).count() == Area.objects.count()

    def test_a_resident_sees_no_area(self, areas, alice):
        assert not area_list_for_user(alice).exists()

    def test_cases_are_scoped_by_subtree(self, areas, alice, carol, mia, otto, sam, sue):
        in_c1 = make_case(applicant=alice, area=areas["G1"])
        in_c2 = make_case(applicant=alice, area=areas["C2"])

        def visible(user):
            return set(cases_visible_to(user).values_list("pk", flat=True))

        assert visible(mia) == {in_c1.pk}
        assert visible(otto) == {in_c2.pk}
        assert visible(sue) == {in_c1.pk}
        assert visible(sam) == {in_c1.pk, in_c2.pk}
        assert visible(alice) == {in_c1.pk, in_c2.pk}  # a party sees her own cases
        assert visible(carol) == set()

    def test_the_scope_costs_the_same_queries_however_deep_the_tree(self, areas, alice, sam):
        # A deeper tree must not add queries: one to read the served areas, one to ask whether the
        # user is named on a case elsewhere (disputes.visibility), one for the list.
        parent = areas["G2"]
        for depth in range(6):
            parent = services.area_create(name=f"Level {depth}", kind=Area.Kind.GRID, parent=parent)
        make_case(applicant=alice, area=parent)
        make_case(applicant=alice, area=areas["G1"])
        sam_again = type(sam).objects.get(pk=sam.pk)
        with CaptureQueriesContext(connection) as ctx:
            assert cases_visible_to(sam_again).count() == 2
        assert len(ctx.captured_queries) == 3

    def test_moving_an_area_rewrites_its_subtree(self, areas):
        services.area_move(area=areas["C1"], parent=areas["S2"])
        areas["G1"].refresh_from_db()
        assert areas["G1"].path.startswith(areas["S2"].path)
        with pytest.raises(ValueError):
            services.area_move(area=areas["S2"], parent=areas["C1"])
