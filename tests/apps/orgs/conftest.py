import re

import pytest

LINK = re.compile(r"https?://\S+/organizations/invitations/([A-Za-z0-9_-]+)/")


def verified(user, email=None):
    """Give `user` a verified address (their account's, unless another is named)."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=user, email=email or user.email, verified=True, primary=email is None
    )
    return user


def tokens_in(messages):
    """The invitation tokens in the links of these e-mails."""
    return [token for message in messages for token in LINK.findall(message.body)]


@pytest.fixture
def make_user(db, django_user_model):
    """A user as sign-up makes one: with a personal organization and, unless told otherwise,
    their address verified."""
    from quickscale.apps.orgs.services import organization_personal_ensure

    def make(email, *, verify=True, **fields):
        user = django_user_model.objects.create_user(email=email, password="pw-unusual-1", **fields)
        organization_personal_ensure(user=user)
        return verified(user) if verify else user

    return make


@pytest.fixture
def ada(make_user):
    return make_user("ada@example.com", name="Ada")


@pytest.fixture
def bob(make_user):
    return make_user("bob@example.com")


@pytest.fixture
def cy(make_user):
    return make_user("cy@example.com")


@pytest.fixture
def eve(make_user):
    return make_user("eve@example.com")


@pytest.fixture
def acme(ada, bob, cy):
    """A team: Ada owns it, Bob is an admin, Cy a member."""
    from tests.orgs import team

    return team(ada, "Acme", admin=[bob], member=[cy])


@pytest.fixture
def as_member(acme):
    """The membership of `user` in Acme."""
    from quickscale.apps.orgs.models import Membership

    def get(user):
        return Membership.objects.select_related("organization", "user").get(
            organization=acme, user=user
        )

    return get


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a function, then the work it left for after commit (e-mails); returns its result."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run
