from django.urls import path

from grid.views import campaigns, cards, diary

app_name = "grid"

urlpatterns = [
    path("diary/", diary.diary, name="diary"),
    path("diary/<str:pk>/", diary.entry_detail, name="entry_detail"),
    path("diary/<str:pk>/case/", diary.entry_to_case, name="entry_to_case"),
]

urlpatterns += [
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/<str:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<str:pk>/report/", campaigns.campaign_report, name="campaign_report"),
]

urlpatterns += [
    path("cards/building/", cards.building_card, name="building_card"),
]
