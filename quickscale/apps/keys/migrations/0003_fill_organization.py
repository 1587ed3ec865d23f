"""A key made before organizations belongs to its maker's personal organization."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    ApiKey = apps.get_model("quickscale_keys", "ApiKey")
    Organization = apps.get_model("quickscale_orgs", "Organization")
    personal = Organization.objects.filter(personal_owner_id=OuterRef("user_id")).values("pk")[:1]
    ApiKey.objects.using(schema_editor.connection.alias).filter(organization__isnull=True).update(
        organization=Subquery(personal)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_keys", "0002_apikey_organization"),
        ("quickscale_orgs", "0002_personal_organizations"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
