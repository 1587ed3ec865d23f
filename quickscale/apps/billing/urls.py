from __future__ import annotations

from django.urls import path

from quickscale.apps.billing import views

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("billing/", views.billing_overview, name="billing_overview"),
    path("billing/checkout/<str:price_id>/", views.checkout, name="billing_checkout"),
    path("billing/portal/", views.portal, name="billing_portal"),
    path("billing/success/", views.checkout_success, name="billing_success"),
    path("billing/cancelled/", views.checkout_cancelled, name="billing_cancelled"),
]
