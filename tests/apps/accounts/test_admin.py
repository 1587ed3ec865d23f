"""The admin's user forms refuse what they cannot store with a form error, never a 500."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["groups", "user_permissions"])
@pytest.mark.parametrize("pk", [str(2**63), str(2**64 + 1), "1" * 5000, "-" + str(2**63 + 1)])
def test_a_choice_id_past_64_bits_is_a_form_error(client, field, pk):
    User = get_user_model()
    client.force_login(User.objects.create_superuser(email="root@example.com", password="x"))
    user = User.objects.create_user(email="ada@example.com")
    response = client.post(
        reverse("admin:quickscale_accounts_user_change", args=[user.pk]),
        {"email": "ada@example.com", "is_active": "on", field: [pk]},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
