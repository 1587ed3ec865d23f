import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_services", "0005_fill_organization"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # One way only: a team's credits, keys and runs have no single user to go back to.
        migrations.RunPython(migrations.RunPython.noop, reverse_code=None),
        migrations.RemoveIndex(model_name="servicerun", name="qs_services_runs_by_user"),
        migrations.RemoveConstraint(
            model_name="servicerun", name="quickscale_services_run_idempotency"
        ),
        migrations.AlterField(
            model_name="servicerun",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="service_runs",
                to="quickscale_orgs.organization",
            ),
        ),
        migrations.AlterField(
            model_name="servicerun",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                help_text="The member who ran it.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="service_runs",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="servicerun",
            index=models.Index(fields=["organization", "-id"], name="qs_services_runs_by_org"),
        ),
        migrations.AddConstraint(
            model_name="servicerun",
            constraint=models.UniqueConstraint(
                condition=models.Q(("idempotency_key__isnull", False)),
                fields=("organization", "user", "idempotency_key"),
                name="quickscale_services_org_run_idempotency",
            ),
        ),
    ]
