"""Every user who signed up before organizations gets their personal organization, as sign-up
now makes one."""

from django.db import migrations
from django.utils.text import slugify

SLUG_MAX_LENGTH = 50
BATCH_SIZE = 1000


class Slugs:
    """Unique slugs from names, in time linear in the number of users: many share a base (every
    name with no ASCII letter is "org"; many addresses start "info")."""

    def __init__(self, taken):
        self.taken = set(taken)
        self.next_number = {}

    def __call__(self, name):
        base = slugify(name)[: SLUG_MAX_LENGTH - 9].strip("-") or "org"
        number = self.next_number.get(base, 1)
        slug = base if number == 1 else f"{base}-{number}"
        while slug in self.taken:
            number += 1
            slug = f"{base}-{number}"
        self.next_number[base] = number + 1
        self.taken.add(slug)
        return slug


def personal_organizations(apps, schema_editor):
    User = apps.get_model("quickscale_accounts", "User")
    Organization = apps.get_model("quickscale_orgs", "Organization")
    Membership = apps.get_model("quickscale_orgs", "Membership")
    database = schema_editor.connection.alias
    organizations = Organization.objects.using(database)
    slugs = Slugs(organizations.values_list("slug", flat=True))
    have = set(
        organizations.filter(personal_owner__isnull=False).values_list(
            "personal_owner_id", flat=True
        )
    )
    users = User.objects.using(database).order_by("id").exclude(pk__in=have)
    batch = []
    for user in users.iterator(chunk_size=BATCH_SIZE):
        name = (user.name or "").strip() or user.email.split("@", 1)[0]
        batch.append(
            Organization(
                name=f"{name[:89]} (personal)",
                slug=slugs(name),
                kind="personal",
                personal_owner_id=user.pk,
                created_at=user.date_joined,
            )
        )
        if len(batch) == BATCH_SIZE:
            _save(Organization, Membership, database, batch)
            batch = []
    _save(Organization, Membership, database, batch)


def _save(Organization, Membership, database, organizations):
    if not organizations:
        return
    Organization.objects.using(database).bulk_create(organizations)
    # Not every database returns the new ids from bulk_create: read them back by owner.
    ids = dict(
        Organization.objects.using(database)
        .filter(personal_owner_id__in=[o.personal_owner_id for o in organizations])
        .values_list("personal_owner_id", "pk")
    )
    Membership.objects.using(database).bulk_create(
        Membership(
            organization_id=ids[o.personal_owner_id],
            user_id=o.personal_owner_id,
            role="owner",
            created_at=o.created_at,
        )
        for o in organizations
    )


class Migration(migrations.Migration):
    dependencies = [
        ("quickscale_accounts", "0001_initial"),
        ("quickscale_orgs", "0001_initial"),
    ]

    operations = [migrations.RunPython(personal_organizations, migrations.RunPython.noop)]
