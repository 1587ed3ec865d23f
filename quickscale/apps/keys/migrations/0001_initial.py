"""API keys move from the API app to this one, which sits below the credit ledger: the model's
state moves here and its table stays as it is (renamed in 0002); its content type and
permissions follow it, so groups keep them."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    database = schema_editor.connection.alias
    if ContentType.objects.using(database).filter(app_label="quickscale_keys", model="apikey"):
        return
    ContentType.objects.using(database).filter(app_label="quickscale_api", model="apikey").update(
        app_label="quickscale_keys"
    )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="quickscale_keys", model="apikey"
    ).update(app_label="quickscale_api")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("quickscale_api", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiKey",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100)),
                        ("prefix", models.CharField(max_length=4, unique=True)),
                        ("hashed_secret", models.CharField(max_length=128)),
                        (
                            "scopes",
                            models.JSONField(
                                blank=True,
                                default=list,
                                help_text="Service names this key may run; empty: all.",
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("expires_at", models.DateTimeField(blank=True, null=True)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        ("last_used_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="api_keys",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "API key",
                        "ordering": ("-created_at", "-id"),
                        "db_table": "quickscale_api_apikey",
                        "indexes": [
                            models.Index(fields=["user", "-created_at"], name="qs_api_keys_by_user")
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("prefix__regex", "^[A-Za-z0-9]{4}$")),
                                name="quickscale_api_key_prefix",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
