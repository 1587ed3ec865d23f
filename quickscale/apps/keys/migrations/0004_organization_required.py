import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_keys", "0003_fill_organization"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # One way only: a team's credits, keys and runs have no single user to go back to.
        migrations.RunPython(migrations.RunPython.noop, reverse_code=None),
        migrations.AlterField(
            model_name="apikey",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="api_keys",
                to="quickscale_orgs.organization",
            ),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="user",
            field=models.ForeignKey(
                help_text="The member who made the key; its calls act as them.",
                on_delete=django.db.models.deletion.CASCADE,
                related_name="api_keys",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RemoveIndex(model_name="apikey", name="qs_api_keys_by_user"),
        migrations.AddIndex(
            model_name="apikey",
            index=models.Index(
                fields=["organization", "-created_at"], name="qs_keys_by_organization"
            ),
        ),
    ]
