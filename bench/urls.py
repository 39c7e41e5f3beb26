"""The product's URLs plus the benchmark's ceiling view; mounted only by ``bench.settings``."""

from django.urls import path

from bench import views
from kap_clinic.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/ceiling/", views.ceiling, name="bench_ceiling"),
    *product_urlpatterns,
]
