import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.services.models import ServiceConfig, ServiceRun
from quickscale.apps.services.registry import registry
from quickscale.apps.services.services import service_run
from tests.orgs import personal

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    admin = get_user_model().objects.create_superuser(email="ops@example.com", password="x")
    client.force_login(admin)
    return admin


@pytest.fixture
def customer():
    user = get_user_model().objects.create_user(email="dev@example.com")
    credits_grant(organization=personal(user), amount=100, kind="payg", idempotency_key="fund")
    return user


def url(name, *args):
    return reverse(f"admin:quickscale_services_{name}", args=args)


def call(client, token, name="sentiment"):
    return client.post(
        f"/api/v1/services/{name}/run",
        json.dumps({"text": "great"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_the_service_list_has_a_row_for_every_registered_service(client, operator):
    assert not ServiceConfig.objects.exists()
    response = client.get(url("serviceconfig_changelist"))
    assert response.status_code == 200
    names = sorted(row.name for row in response.context["cl"].result_list)
    assert names == sorted(service.name for service in registry)
    client.get(url("serviceconfig_changelist"))
    assert ServiceConfig.objects.count() == len(names)
    assert "Positive, negative or neutral" in response.content.decode()


def test_switching_a_service_off_in_the_list_takes_it_off_the_api(client, operator, customer):
    token = api_key_create(organization=personal(customer), user=customer, name="laptop").token
    client.get(url("serviceconfig_changelist"))
    rows = list(ServiceConfig.objects.order_by("name"))
    form = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        form[f"form-{index}-id"] = str(row.pk)
        if row.name != "sentiment":
            form[f"form-{index}-enabled"] = "on"
    response = client.post(url("serviceconfig_changelist"), form)
    assert response.status_code == 302
    assert call(client, token).status_code == 404
    assert call(client, token, "text_statistics").status_code == 200


def test_the_actions_switch_services_off_and_on_again(client, operator, customer):
    token = api_key_create(organization=personal(customer), user=customer, name="laptop").token
    client.get(url("serviceconfig_changelist"))
    sentiment = ServiceConfig.objects.get(name="sentiment")
    for action, expected in (("disable_selected", 404), ("enable_selected", 200)):
        client.post(
            url("serviceconfig_changelist"),
            {"action": action, "_selected_action": [sentiment.pk]},
        )
        assert call(client, token).status_code == expected


def test_services_are_not_added_by_hand_and_registered_ones_cannot_be_deleted(client, operator):
    client.get(url("serviceconfig_changelist"))
    registered = ServiceConfig.objects.get(name="sentiment")
    gone = ServiceConfig.objects.create(name="retired_service")
    assert client.get(url("serviceconfig_add")).status_code == 403
    assert (
        client.post(url("serviceconfig_delete", registered.pk), {"post": "yes"}).status_code == 403
    )
    client.post(url("serviceconfig_delete", gone.pk), {"post": "yes"})
    assert not ServiceConfig.objects.filter(pk=gone.pk).exists()


def test_runs_are_listed_read_only_and_filtered_by_status(client, operator, customer):
    key = api_key_create(organization=personal(customer), user=customer, name="laptop").key
    service_run(
        organization=personal(customer),
        user=customer,
        name="sentiment",
        data={"text": "great"},
        api_key=key,
    )
    service_run(
        organization=personal(customer), user=customer, name="text_statistics", data={"text": "a b"}
    )
    ServiceRun.objects.filter(service="text_statistics").update(status="failed")
    listing = client.get(url("servicerun_changelist"))
    assert listing.status_code == 200
    assert f"{key.prefix}…" in listing.content.decode()
    failed = client.get(url("servicerun_changelist"), {"status__exact": "failed"})
    assert [run.service for run in failed.context["cl"].result_list] == ["text_statistics"]
    by_service = client.get(url("servicerun_changelist"), {"service": "sentiment"})
    assert [run.service for run in by_service.context["cl"].result_list] == ["sentiment"]
    run = ServiceRun.objects.get(service="sentiment")
    client.post(url("servicerun_change", run.pk), {"status": "failed", "cost": 0})
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert client.get(url("servicerun_add")).status_code == 403
