from django.urls import path

from grid.views import campaigns, cards, diary, orders

app_name = "grid"

urlpatterns = [
    path("diary/", diary.diary, name="diary"),
    path("entries/", diary.entry_list, name="entry_list"),
    path("diary/<str:pk>/", diary.entry_detail, name="entry_detail"),
    path("diary/<str:pk>/case/", diary.entry_to_case, name="entry_to_case"),
    path("diary/<str:pk>/removed/", diary.entry_hazard_removed, name="entry_hazard_removed"),
]

urlpatterns += [
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/<str:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<str:pk>/report/", campaigns.campaign_report, name="campaign_report"),
]

urlpatterns += [
    path("cards/building/", cards.building_card, name="building_card"),
]

urlpatterns += [
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<str:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<str:pk>/dispatch/", orders.order_dispatch, name="order_dispatch"),
    path("orders/<str:pk>/accept/", orders.order_accept, name="order_accept"),
    path("orders/<str:pk>/done/", orders.order_done, name="order_done"),
    path("orders/<str:pk>/confirm/", orders.order_confirm, name="order_confirm"),
    path("orders/<str:pk>/case/", orders.order_to_case, name="order_to_case"),
]
