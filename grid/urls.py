from django.urls import path

from grid.views import diary

app_name = "grid"

urlpatterns = [
    path("diary/", diary.diary, name="diary"),
    path("diary/<str:pk>/", diary.entry_detail, name="entry_detail"),
    path("diary/<str:pk>/case/", diary.entry_to_case, name="entry_to_case"),
]
