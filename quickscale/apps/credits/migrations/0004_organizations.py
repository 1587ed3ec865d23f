import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_credits", "0003_ledger_entry_indexes"),
        ("quickscale_keys", "0001_initial"),
        ("quickscale_orgs", "0001_initial"),
    ]

    operations = [
        # The key model moved to quickscale_keys; its table, and this column, did not change.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="api_key",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The API key whose call caused this entry.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="ledger_entries",
                        to="quickscale_keys.apikey",
                    ),
                ),
            ]
        ),
        migrations.AddField(
            model_name="creditlot",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="credit_lots",
                to="quickscale_orgs.organization",
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entries",
                to="quickscale_orgs.organization",
            ),
        ),
    ]
