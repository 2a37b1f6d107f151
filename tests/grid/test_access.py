"""The grid door: each person sees only the grid work of their grid (or the areas they serve)."""

from grid import access
from tests.grid.conftest import make_entry


class GridAccessTests:
    def test_a_grid_worker_sees_only_their_grids_entries(self, areas, gina, gus):
        mine = make_entry(gina, areas["G1"])
        theirs = make_entry(gus, areas["G2"])
        assert list(access.diary_entries_visible_to(gina)) == [mine]
        assert list(access.diary_entries_visible_to(gus)) == [theirs]

    def test_a_grid_head_sees_every_grid_below_their_area(self, areas, gina, gus, hank):
        mine = make_entry(gina, areas["G1"])
        make_entry(gus, areas["G2"])
        assert list(access.diary_entries_visible_to(hank)) == [mine]

    def test_staff_see_the_grid_work_of_the_areas_they_serve(self, areas, gina, gus, mia, otto, sam):
        g1 = make_entry(gina, areas["G1"])
        g2 = make_entry(gus, areas["G2"])
        assert list(access.diary_entries_visible_to(mia)) == [g1]
        assert list(access.diary_entries_visible_to(otto)) == [g2]
        assert set(access.diary_entries_visible_to(sam)) == {g1, g2}

    def test_residents_building_heads_and_volunteers_see_no_diary(self, areas, gina, alice, bella, vic):
        make_entry(gina, areas["G1"])
        for user in (alice, bella, vic):
            assert not access.keeps_diary(user)
            assert list(access.diary_entries_visible_to(user)) == []

    def test_a_grid_worker_is_not_a_mediator(self, areas, gina):
        assert gina.is_resident and not gina.is_staff
        assert access.keeps_diary(gina)
        assert list(access.grids_for_diary(gina)) == [areas["G1"]]
