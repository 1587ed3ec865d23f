"""The API key model now lives in quickscale_keys (its 0001 took over the table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_api", "0001_initial"),
        ("quickscale_credits", "0004_organizations"),
        ("quickscale_keys", "0001_initial"),
        ("quickscale_services", "0004_organizations"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiKey")]
        )
    ]
