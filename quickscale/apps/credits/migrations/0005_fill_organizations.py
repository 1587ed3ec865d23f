"""Credits bought before organizations belong to their user's personal organization. A debit
their service call made (its key is the run's, `service-run:...`) records them as its actor, as
debits do now; an operator's debit (`quickscale_credits consume`) keeps no actor, as before."""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def fill(apps, schema_editor):
    database = schema_editor.connection.alias
    Organization = apps.get_model("quickscale_orgs", "Organization")
    personal = Organization.objects.filter(personal_owner_id=OuterRef("user_id")).values("pk")[:1]
    for name in ("CreditLot", "LedgerEntry"):
        model = apps.get_model("quickscale_credits", name)
        model.objects.using(database).filter(organization__isnull=True).update(
            organization=Subquery(personal)
        )
    LedgerEntry = apps.get_model("quickscale_credits", "LedgerEntry")
    LedgerEntry.objects.using(database).filter(
        kind="debit", actor__isnull=True, idempotency_key__startswith="service-run:"
    ).update(actor_id=F("user_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_credits", "0004_organizations"),
        ("quickscale_orgs", "0002_personal_organizations"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
