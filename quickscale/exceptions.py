"""The one exception tree of QuickScale.

Every error a user can cause carries a message (what is wrong), a hint (what to do next)
and the exit status the CLI ends with.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    INVALID_NAME = 3
    TARGET_EXISTS = 4
    TARGET_NOT_WRITABLE = 5
    TEMPLATE_ERROR = 6
    SYNC_REFUSED = 7
    NO_MANIFEST = 8
    SYNC_INCOMPLETE = 9
    INTERRUPTED = 130


class QuickscaleError(Exception):
    exit_code: ExitCode = ExitCode.ERROR
    default_hint = "Run the command again with --help to see how it is used."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint


class InvalidNameError(QuickscaleError):
    exit_code = ExitCode.INVALID_NAME
    default_hint = (
        "Choose a name made of letters, digits, spaces, '-' or '_' that starts with a letter."
    )


class TargetExistsError(QuickscaleError):
    exit_code = ExitCode.TARGET_EXISTS
    default_hint = (
        "Choose another name, pass --directory with an empty or new folder, or remove the folder."
    )


class TargetNotWritableError(QuickscaleError):
    exit_code = ExitCode.TARGET_NOT_WRITABLE
    default_hint = "Choose a folder you can write to with --directory."


class TemplateError(QuickscaleError):
    exit_code = ExitCode.TEMPLATE_ERROR
    default_hint = "Reinstall QuickScale (pip install --force-reinstall quickscale) and try again."


class CreditsError(QuickscaleError):
    default_hint = "Nothing was changed; correct the request and try again."


class InvalidCreditRequestError(CreditsError):
    pass


class CreditLimitError(InvalidCreditRequestError):
    """An amount, or the balance it would make, past MAX_CREDITS."""

    def __init__(self, message: str, *, maximum: int) -> None:
        super().__init__(message, hint="Nothing was changed; use a smaller amount.")
        self.maximum = maximum


class InsufficientCreditsError(CreditsError):
    def __init__(self, *, balance: int, requested: int) -> None:
        super().__init__(
            f"Insufficient credits: {requested} requested, {balance} available.",
            hint="Grant or buy more credits, or ask for fewer.",
        )
        self.balance = balance
        self.requested = requested


class IdempotencyConflictError(CreditsError):
    default_hint = "Use a new idempotency key for a different request."


class RefundError(CreditsError):
    pass


class OrganizationError(QuickscaleError):
    default_hint = "Nothing was changed."


class OrganizationPermissionError(OrganizationError):
    default_hint = "Ask an owner or an admin of the organization."


class LastOwnerError(OrganizationError):
    default_hint = "Make another member an owner first."


class InvitationError(OrganizationError):
    default_hint = "Ask the organization for a new invitation."


class InvitationNotValidError(InvitationError):
    """The link's invitation is unknown, expired, revoked, already used or sent again."""


class InvitationAddressError(InvitationError):
    """The signed-in person holds no verified address equal to the invited one."""

    def __init__(self, message: str, *, email: str) -> None:
        super().__init__(
            message,
            hint=f"Add {email} on your e-mail addresses page and verify it, or sign in with "
            "the account that has it.",
        )
        self.email = email


class InvitationRateLimitError(InvitationError):
    default_hint = "Nothing was sent; try again later."


class SyncBackError(QuickscaleError):
    exit_code = ExitCode.SYNC_REFUSED
    default_hint = "Run `quickscale sync-back --preview` to see what would change."


class NoManifestError(SyncBackError):
    exit_code = ExitCode.NO_MANIFEST
    default_hint = (
        "Run `quickscale sync-back --adopt` once to record the current template as the base."
    )


class ApiKeyError(QuickscaleError):
    pass


class ApiKeyRevokedError(ApiKeyError):
    """The key was revoked (its maker removed from the organization, say) while a call with it
    was on its way."""


class ServiceError(QuickscaleError):
    pass


class ServiceUnavailableError(ServiceError):
    pass


class ServiceNotAllowedError(ServiceError):
    pass


class RunInProgressError(ServiceError):
    pass


class InvalidServiceInputError(ServiceError):
    def __init__(self, message: str, *, fields: dict[str, list[str]]) -> None:
        super().__init__(message, hint="Send input that fits the service's input schema.")
        self.fields = fields


class VisualError(QuickscaleError):
    default_hint = "Check the page address and that the development server is running."


class WorkspaceError(VisualError):
    default_hint = (
        "Nothing was changed. Paths are relative to the project, under templates/ or static/."
    )
