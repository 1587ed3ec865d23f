import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_api", "0002_move_apikey_to_keys"),
        ("quickscale_keys", "0001_initial"),
        ("quickscale_orgs", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="apikey", table=None),
        migrations.AddField(
            model_name="apikey",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="api_keys",
                to="quickscale_orgs.organization",
            ),
        ),
    ]
