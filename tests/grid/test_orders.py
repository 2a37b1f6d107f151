"""群众点单 · 社区派单 · 党员接单: post → dispatch → accept → done → confirm and rate; reminders;
a request that is really a dispute becomes a case."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import Case, InboxMessage, Reminder, Rule
from disputes.services.reminders import reminders_scan, reminders_send
from disputes.services.reminders.rules import ORDER_ESCALATE_AFTER, ORDER_UNACCEPTED_AFTER
from disputes.visibility import cases_visible_to
from grid import services
from grid.models import GridMember, ServiceOrder
from tests.factories import neighbours_category
from tests.grid.conftest import make_member


@pytest.fixture
def order(alice, estate):
    return services.order_post(
        posted_by=alice,
        estate=estate,
        building="1号楼",
        what="楼道灯坏了",
        needed_by=timezone.now() + timedelta(days=3),
    )


class OrderFlowTests:
    def test_the_whole_order_through_the_pages(self, client, alice, gina, vic, estate):
        client.force_login(alice)
        response = client.post(
            reverse("grid:order_list"),
            {"what": "需要人陪老人去医院", "estate": estate.pk, "building": "1号楼", "needed_by": "2030-01-01T09:00"},
        )
        order = ServiceOrder.objects.get()
        assert response["Location"] == reverse("grid:order_detail", args=[order.pk])
        assert (order.requester, order.grid, order.status) == (alice, estate.grid, "posted")

        client.force_login(gina)
        client.post(reverse("grid:order_dispatch", args=[order.pk]), {"helper": vic.pk})
        client.force_login(vic)
        client.post(reverse("grid:order_accept", args=[order.pk]))
        client.post(reverse("grid:order_done", args=[order.pk]), {"note": "已陪同就医"})
        client.force_login(alice)
        client.post(reverse("grid:order_confirm", args=[order.pk]), {"rating": 3})
        order.refresh_from_db()
        assert (order.status, order.helper, order.done_note, order.rating) == ("confirmed", vic, "已陪同就医", 3)
        assert order.dispatched_at and order.accepted_at and order.done_at and order.confirmed_at

    def test_only_the_right_people_act(self, client, order, gina, gus, vic, carol, alice):
        client.force_login(gus)  # another grid
        assert client.post(reverse("grid:order_dispatch", args=[order.pk]), {"helper": gus.pk}).status_code == 404
        client.force_login(carol)
        assert client.get(reverse("grid:order_detail", args=[order.pk])).status_code == 404
        services.order_dispatch(order=order, actor=gina, helper=vic)
        client.force_login(alice)  # not the helper
        client.post(reverse("grid:order_accept", args=[order.pk]))
        order.refresh_from_db()
        assert order.status == "dispatched" and order.accepted_at is None

    def test_a_helper_must_be_registered_with_the_community(self, order, gina, carol):
        with pytest.raises(services.GridError):
            services.order_dispatch(order=order, actor=gina, helper=carol)

    def test_a_party_member_of_the_community_can_be_given_the_order(self, order, gina, areas):
        pm = make_member("pam", GridMember.Role.PARTY_MEMBER, areas["C1"]).user
        services.order_dispatch(order=order, actor=gina, helper=pm)
        assert ServiceOrder.objects.get().helper == pm

    def test_two_dispatchers_at_once_one_wins(self, order, gina, vic, hank):
        stale = ServiceOrder.objects.get(pk=order.pk)
        services.order_dispatch(order=order, actor=gina, helper=vic)
        services.order_accept(order=order, actor=vic)
        with pytest.raises(services.GridError):
            services.order_dispatch(order=stale, actor=hank, helper=hank)
        assert ServiceOrder.objects.get().helper == vic

    def test_a_request_that_is_a_dispute_becomes_a_case(self, client, order, gina, alice, mia):
        client.force_login(gina)
        data = {"category": neighbours_category().pk, "title": "楼上住户拒绝修灯"}
        client.post(reverse("grid:order_to_case", args=[order.pk]), data)
        order.refresh_from_db()
        case = order.case
        assert order.status == "case" and case.source == Case.Source.GRID_SCREENING
        assert case.parties.get().user == alice  # the resident follows it on their own pages
        assert case in cases_visible_to(mia) and case in cases_visible_to(alice)
        client.post(reverse("grid:order_to_case", args=[order.pk]), data)
        assert Case.objects.count() == 1


def late_scan(now) -> int:
    """The reminder service's scan and send: the help-request reminders delivered to an inbox."""
    reminders_scan(now=now)
    ids = list(Reminder.objects.filter(state="pending", rule__startswith="order_").values_list("pk", flat=True))
    reminders_send(reminder_ids=ids)
    return Reminder.objects.filter(pk__in=ids, state="sent", channel="inbox").count()


def sent_to(rule: str) -> list[int]:
    rows = Reminder.objects.filter(rule=rule, state="sent", channel="inbox")
    return sorted(rows.values_list("recipient_id", flat=True))


class OrderReminderTests:
    def test_unaccepted_then_overdue_then_escalated_each_once(self, order, gina, vic, mia):
        now = timezone.now()
        assert late_scan(now=now) == 0
        later = now + ORDER_UNACCEPTED_AFTER + timedelta(minutes=1)
        assert late_scan(now=later) == 1
        assert late_scan(now=later) == 0
        assert sent_to(Rule.ORDER_UNACCEPTED) == [gina.pk]
        assert InboxMessage.objects.filter(recipient=gina).count() == 1
        services.order_dispatch(order=order, actor=gina, helper=vic)
        services.order_accept(order=order, actor=vic)
        past_due = order.needed_by + timedelta(minutes=1)
        assert late_scan(now=past_due) == 1
        assert sent_to(Rule.ORDER_OVERDUE) == [vic.pk]
        escalate = order.needed_by + ORDER_ESCALATE_AFTER + timedelta(minutes=1)
        assert late_scan(now=escalate) == 1
        assert late_scan(now=escalate) == 0
        assert sent_to(Rule.ORDER_ESCALATED) == [mia.pk]
        assert InboxMessage.objects.filter(recipient=mia).count() == 1

    def test_a_confirmed_order_is_not_reminded(self, order, gina, vic, alice):
        services.order_dispatch(order=order, actor=gina, helper=vic)
        services.order_accept(order=order, actor=vic)
        services.order_done(order=order, actor=vic, note="修好了")
        services.order_confirm(order=order, actor=alice, rating=3)
        for days in (1, 2, 30):
            assert late_scan(now=timezone.now() + timedelta(days=days)) == 0

    def test_an_order_taken_after_the_scan_is_not_reminded_of_it(self, order, gina, vic):
        reminders_scan(now=order.posted_at + ORDER_UNACCEPTED_AFTER + timedelta(minutes=1))
        services.order_dispatch(order=order, actor=gina, helper=vic)
        services.order_accept(order=order, actor=vic)
        ids = list(Reminder.objects.filter(rule=Rule.ORDER_UNACCEPTED).values_list("pk", flat=True))
        assert ids and reminders_send(reminder_ids=ids)["cancelled"] == len(ids)
