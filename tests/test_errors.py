"""The error hierarchy: every punchcard error is a PunchcardError and the builtin it resembles,
and keeps its place (``.field`` or ``.path``) and its message apart."""

from __future__ import annotations

import pytest

from punchcard import errors

_BUILTINS = (ValueError, TypeError, ArithmeticError, LookupError, PermissionError)


@pytest.mark.parametrize("name", [n for n in errors.__all__ if n != "PunchcardError"])
def test_every_error_is_a_punchcard_error_and_a_builtin(name: str) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, errors.PunchcardError)
    assert issubclass(cls, _BUILTINS)


@pytest.mark.parametrize(
    "cls",
    [
        errors.InvalidValueError,
        errors.InvalidTypeError,
        errors.SettingsError,
        errors.InvalidTimeError,
        errors.TimeOutOfRangeError,
    ],
)
def test_field_errors_keep_the_field_and_the_message(cls: type[errors.InvalidValueError]) -> None:
    err = cls("units", "must be a whole number >= 1, got 0")
    assert (err.field, err.message) == ("units", "must be a whole number >= 1, got 0")
    assert str(err) == "units: must be a whole number >= 1, got 0"


def test_issue10_item10_a_date_time_out_of_range_is_an_invalid_time_and_an_overflow() -> None:
    err = errors.TimeOutOfRangeError("as_of", "must stay within years 1 to 9999")
    for kind in (errors.InvalidTimeError, errors.InvalidValueError, ValueError, OverflowError):
        assert isinstance(err, kind)
