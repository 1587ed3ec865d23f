"""Every user who signed up before organizations gets their personal organization, as sign-up
now makes one."""

from django.db import migrations
from django.utils.text import slugify

SLUG_MAX_LENGTH = 50


def _slug(name, taken):
    base = slugify(name)[: SLUG_MAX_LENGTH - 9].strip("-") or "org"
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


def personal_organizations(apps, schema_editor):
    User = apps.get_model("quickscale_accounts", "User")
    Organization = apps.get_model("quickscale_orgs", "Organization")
    Membership = apps.get_model("quickscale_orgs", "Membership")
    database = schema_editor.connection.alias
    taken = set(Organization.objects.using(database).values_list("slug", flat=True))
    have = set(
        Organization.objects.using(database)
        .filter(personal_owner__isnull=False)
        .values_list("personal_owner_id", flat=True)
    )
    for user in User.objects.using(database).order_by("id").iterator():
        if user.pk in have:
            continue
        name = (user.name or "").strip() or user.email.split("@", 1)[0]
        organization = Organization.objects.using(database).create(
            name=f"{name[:89]} (personal)",
            slug=_slug(name, taken),
            kind="personal",
            personal_owner_id=user.pk,
            created_at=user.date_joined,
        )
        Membership.objects.using(database).create(
            organization=organization, user_id=user.pk, role="owner", created_at=user.date_joined
        )


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_accounts", "0001_initial"),
        ("quickscale_orgs", "0001_initial"),
    ]

    operations = [migrations.RunPython(personal_organizations, migrations.RunPython.noop)]
