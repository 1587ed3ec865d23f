"""Runs made before organizations were paid by their user's personal organization."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    ServiceRun = apps.get_model("quickscale_services", "ServiceRun")
    Organization = apps.get_model("quickscale_orgs", "Organization")
    personal = Organization.objects.filter(personal_owner_id=OuterRef("user_id")).values("pk")[:1]
    ServiceRun.objects.using(schema_editor.connection.alias).filter(
        organization__isnull=True
    ).update(organization=Subquery(personal))


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_orgs", "0002_personal_organizations"),
        ("quickscale_services", "0004_organizations"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
