import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_keys", "0001_initial"),
        ("quickscale_orgs", "0001_initial"),
        ("quickscale_services", "0003_service_run_deadline"),
    ]

    operations = [
        # The key model moved to quickscale_keys; its table, and this column, did not change.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="servicerun",
                    name="api_key",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="runs",
                        to="quickscale_keys.apikey",
                    ),
                ),
            ]
        ),
        migrations.AddField(
            model_name="servicerun",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="service_runs",
                to="quickscale_orgs.organization",
            ),
        ),
    ]
