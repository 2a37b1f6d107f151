from django.urls import path

from disputes.views import evidence, links, party, party_staff, rating, resident, supervisor

app_name = "disputes"

urlpatterns = [
    path("evidence/<int:pk>/", evidence.evidence_download, name="evidence_download"),
    path("cases/", resident.case_list, name="case_list"),
    path("cases/new/", resident.case_new, name="case_new"),
    path("cases/related/", resident.case_related, name="case_related"),
    path("cases/joining/", party.party_offers, name="party_offers"),
    path("cases/joining/<int:pk>/", party.party_confirm, name="party_confirm"),
    path("cases/<str:number>/", resident.case_detail, name="case_detail"),
    path("cases/<str:number>/open/", links.case_open, name="case_open"),
    path("cases/<str:number>/submitted/", resident.case_submitted, name="case_submitted"),
    path("cases/<str:number>/add/", resident.case_add_information, name="case_add_information"),
    path("cases/<str:number>/join/", resident.case_join, name="case_join"),
    path("cases/<str:number>/withdraw/", resident.case_withdraw, name="case_withdraw"),
    path("cases/<str:number>/consent/", resident.case_consent, name="case_consent"),
    path("cases/<str:number>/rate/", rating.case_rate, name="case_rate"),
    path("staff/cases/<str:number>/parties/", party_staff.case_parties, name="case_parties"),
    path("c/<str:token>/", party.case_link, name="case_link"),
    path("c/<str:token>/renew/", party.case_link_renew, name="case_link_renew"),
    path("c/<str:token>/rate/", party.case_link_rate, name="case_link_rate"),
    path("inbox/", resident.inbox, name="inbox"),
    path("inbox/<int:pk>/", resident.inbox_message, name="inbox_message"),
    path("dashboard/", supervisor.dashboard, name="dashboard"),
    path("dashboard/supervision/", supervisor.supervision, name="supervision"),
    path("dashboard/supervision/<str:number>/", supervisor.supervision_order, name="supervision_order"),
    path("dashboard/ledger.csv", supervisor.ledger_export, name="ledger_export"),
    path("dashboard/exports/", supervisor.ledger_export_request, name="ledger_export_request"),
    path("dashboard/exports/<int:pk>/", supervisor.ledger_export_status, name="ledger_export_status"),
    path("dashboard/exports/<int:pk>/download/", supervisor.ledger_export_download, name="ledger_export_download"),
    path("dashboard/report/", supervisor.period_report, name="period_report"),
]
