from __future__ import annotations

from django.urls import path

from scheduling import group_views, selfreport_views, views

app_name = "scheduling"

urlpatterns = [
    path("", views.day, name="day"),
    path("week/", views.week, name="week"),
    path("arrivals/", views.arrivals, name="arrivals"),
    path("book/", views.appointment_book, name="appointment_book"),
    path("book/series/", views.series_book, name="series_book"),
    path("book/patients/", views.patient_picker, name="patient_picker"),
    path("next-available/", views.next_available, name="next_available"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path(
        "appointments/<int:pk>/reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path(
        "appointments/<int:pk>/check-in/", views.appointment_check_in, name="appointment_check_in"
    ),
    path(
        "appointments/<int:pk>/complete/", views.appointment_complete, name="appointment_complete"
    ),
    path("appointments/<int:pk>/no-show/", views.appointment_no_show, name="appointment_no_show"),
    path("groups/", group_views.group_list, name="group_list"),
    path("groups/new/", group_views.group_schedule, name="group_schedule"),
    path("groups/<int:pk>/", group_views.group_detail, name="group_detail"),
    path("groups/<int:pk>/enrol/", group_views.group_enrol, name="group_enrol"),
    path("groups/<int:pk>/wait/", group_views.group_waitlist_join, name="group_waitlist_join"),
    path("groups/<int:pk>/attendance/", group_views.group_attendance, name="group_attendance"),
    path("groups/<int:pk>/cancel/", group_views.group_cancel, name="group_cancel"),
    path(
        "groups/waiting/<int:pk>/enrol/",
        group_views.group_waitlist_enrol,
        name="group_waitlist_enrol",
    ),
    path(
        "groups/waiting/<int:pk>/withdraw/",
        group_views.group_waitlist_withdraw,
        name="group_waitlist_withdraw",
    ),
    path("reminders/", views.reminders, name="reminders"),
    path("reminders/<int:pk>/retry/", views.reminder_retry, name="reminder_retry"),
    path(
        "patients/<int:pk>/questionnaire/",
        selfreport_views.questionnaire_send,
        name="questionnaire_send",
    ),
    path(
        "patients/<int:pk>/intake-forms/",
        selfreport_views.intake_forms_send,
        name="intake_forms_send",
    ),
    path(
        "patients/<int:pk>/self-report/",
        selfreport_views.selfreport_switches,
        name="selfreport_switches",
    ),
    path("safety-plans/<int:pk>/send/", selfreport_views.safety_plan_send, name="safety_plan_send"),
    path("call-list/", selfreport_views.call_list, name="call_list"),
    # The patient's signed reminder links: no login (the signature is the check). The access
    # test treats every pattern under "r/" as public.
    path("r/<str:token>/", views.link_manage, name="link_manage"),
    path("r/<str:token>/confirm/", views.link_confirm, name="link_confirm"),
    path("r/<str:token>/cancel/", views.link_cancel, name="link_cancel"),
    path("r/<str:token>/prepare/", views.link_prepare, name="link_prepare"),
]
