"""The errors of the store. Each is a :class:`~punchcard.errors.PunchcardError` and the builtin it
resembles, and a database error always arrives as one of them with the driver's error chained
(``err.__cause__``), so a host catches ``punchcard.errors.PunchcardError`` and nothing else.

None of them derives from :class:`OSError`: an ``except OSError`` around a host's file or network
code never swallows a store error by accident.
"""

from __future__ import annotations

from ..errors import PunchcardError

__all__ = [
    "Conflict",
    "IdempotencyKeyReused",
    "OwnerMismatch",
    "StoreError",
    "UnknownOperation",
]


class StoreError(PunchcardError, RuntimeError):
    """The database failed (connection lost, a statement refused...); nothing of the operation
    was written. The driver's error is ``err.__cause__``.

    >>> str(StoreError("the database refused the statement"))
    'the database refused the statement'
    """


class Conflict(StoreError):
    """Other transactions kept this one from committing (serialization failure, deadlock, lock
    timeout, a busy SQLite file) every time it was tried; nothing was written.

    Sending the same request again, with the same idempotency key, is safe. On a connection the
    host passed in, the host's transaction must be rolled back and run again as a whole.

    >>> err = Conflict("gave up", attempts=4)
    >>> err.attempts
    4
    """

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        #: How many times the operation was tried.
        self.attempts = attempts


class IdempotencyKeyReused(StoreError, ValueError):
    """An idempotency key already stored for another request (another operation, owner or
    argument): refused, never answered with the other request's outcome.

    >>> err = IdempotencyKeyReused("k-1", "hold", "cancel")
    >>> str(err)
    "idempotency key 'k-1' was used for another request (stored: hold; now: cancel)"
    """

    def __init__(self, key: str, stored: str, now: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was used for another request (stored: {stored}; now: {now})"
        )
        #: The key.
        self.key = key
        #: The operation stored under the key, and the one asked for now.
        self.stored_operation = stored
        self.operation = now


class OwnerMismatch(StoreError, ValueError):
    """The request names a package that the store holds for another owner: refused, whatever the
    values passed in say.

    >>> err = OwnerMismatch("p1", owner="smith", stored_owner="jones")
    >>> str(err)
    "package 'p1' is not a package of 'smith'"
    >>> err.stored_owner
    'jones'
    """

    def __init__(self, package_id: str, *, owner: str, stored_owner: str) -> None:
        super().__init__(f"package {package_id!r} is not a package of {owner!r}")
        #: The package named.
        self.package_id = package_id
        #: The owner of the request.
        self.owner = owner
        #: The owner the store holds the package for (not in the message: it is another
        #: customer's data).
        self.stored_owner = stored_owner


class UnknownOperation(StoreError, LookupError):
    """No operation is stored under this idempotency key.

    >>> str(UnknownOperation("k-9"))
    "no operation is stored under idempotency key 'k-9'"
    """

    def __init__(self, key: str) -> None:
        super().__init__(f"no operation is stored under idempotency key {key!r}")
        #: The key asked for.
        self.key = key
