import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_credits", "0005_fill_organizations"),
        ("quickscale_orgs", "0002_personal_organizations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # One way only: a team's credits, keys and runs have no single user to go back to.
        migrations.RunPython(migrations.RunPython.noop, reverse_code=None),
        migrations.RemoveIndex(model_name="creditlot", name="qs_credits_live_lots"),
        migrations.RemoveIndex(model_name="ledgerentry", name="qs_credits_user_entries"),
        migrations.RemoveIndex(model_name="ledgerentry", name="qs_credits_user_kind"),
        migrations.RemoveConstraint(
            model_name="ledgerentry", name="quickscale_credits_entry_idempotency"
        ),
        migrations.RemoveField(model_name="creditlot", name="user"),
        migrations.RemoveField(model_name="ledgerentry", name="user"),
        migrations.AlterField(
            model_name="creditlot",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="credit_lots",
                to="quickscale_orgs.organization",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entries",
                to="quickscale_orgs.organization",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="Who made the change (granted, spent, refunded); empty for the system.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="creditlot",
            index=models.Index(
                condition=models.Q(("remaining__gt", 0)),
                fields=["organization", "expires_at", "created_at"],
                name="qs_credits_org_live_lots",
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["organization", "-id"], name="qs_credits_org_entries"),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["organization", "kind", "-id"], name="qs_credits_org_kind"),
        ),
        migrations.AddConstraint(
            model_name="ledgerentry",
            constraint=models.UniqueConstraint(
                fields=("organization", "idempotency_key"),
                name="quickscale_credits_org_entry_idempotency",
            ),
        ),
        # The admin's credit accounts are organizations now (a proxy has no table).
        migrations.DeleteModel(name="CreditAccount"),
        migrations.CreateModel(
            name="CreditAccount",
            fields=[],
            options={
                "verbose_name": "credit account",
                "permissions": [("grant_credits", "Can grant and adjust credits")],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("quickscale_orgs.organization",),
        ),
    ]
