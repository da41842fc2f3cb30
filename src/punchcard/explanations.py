"""Readable sentences about an :class:`~punchcard.Application`, for customers or staff, in their
language.

:func:`explain` gives one sentence per cart line (cart order): what paid for the line and what is
still due, then why each package that could have paid did not. *Customer* sentences name only the
packages that hold credits of a kind that may pay for the line (``Rejection.matches_item``), with
the names the host gives; *staff* sentences list every rejection with its reason code in brackets
and show package ids. Messages come from the gettext catalogues of :mod:`punchcard.locale`
(English, Spanish, French, German; another language gets the English sentences); money, dates,
times and lists are formatted for the locale by babel, times in the business's time zone.

.. versionadded:: 0.1
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Mapping
from typing import Final, Literal

import attrs
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.numbers import format_decimal

from ._booking import PERIOD_CAP
from .errors import InvalidTypeError, InvalidValueError
from .locale import LANGUAGES, translations
from .models import DEFAULT_PRIORITY, Line
from .money import Money
from .results import Application, LineResult, Redemption, Rejection
from .rules import REASON_CODES

__all__ = ["AUDIENCES", "Audience", "Names", "explain", "explain_rejection"]

Audience = Literal["customer", "staff"]
#: Who reads the sentences.
AUDIENCES: Final[tuple[Audience, ...]] = ("customer", "staff")

#: The reason codes whose sentence is punchcard's own (R1-R11, R4a ``paused`` and X10
#: ``period_cap``); a rule of the
#: host's, with another code, is explained with its own detail text.
_BUILTIN_CODES: Final = frozenset((*REASON_CODES, "paused", PERIOD_CAP))

Pairs = tuple[tuple[str, str], ...]


def _pairs(value: object) -> Pairs:
    """id -> name, as sorted pairs (a mapping, or the pairs themselves for ``attrs.evolve``)."""
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, tuple):
        items = list(value)
    else:
        raise InvalidTypeError("names", f"must be a mapping of id -> name, got {value!r}")
    for pair in items:
        if not (
            isinstance(pair, tuple)
            and len(pair) == 2
            and all(isinstance(part, str) and part for part in pair)
        ):
            raise InvalidValueError(
                "names", f"ids and names must be non-empty strings, got {pair!r}"
            )
    return tuple(sorted(items))


def _name(pairs: Pairs, key: str) -> str:
    for known, name in pairs:
        if known == key:
            return name
    return key


@attrs.frozen
class Names:
    """What the host calls packages, items, beneficiaries and locations; ids without a name are
    shown as they are.

    >>> names = Names(packages={"p1": "10-day pass"}, beneficiaries={"rex": "Rex"})
    >>> names.package("p1"), names.package("p2"), names.beneficiary("rex")
    ('10-day pass', 'p2', 'Rex')
    >>> Names(items={"daycare_full": ""})
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: names: ids and names must be non-empty strings, got ('daycare_full', '')
    """

    #: Package id -> name ("10-day daycare pass").
    packages: Pairs = attrs.field(default=(), converter=_pairs)
    #: Item (or pool) id -> name ("Full day of daycare").
    items: Pairs = attrs.field(default=(), converter=_pairs)
    #: Beneficiary id -> name ("Rex").
    beneficiaries: Pairs = attrs.field(default=(), converter=_pairs)
    #: Location id -> name ("Downtown").
    locations: Pairs = attrs.field(default=(), converter=_pairs)

    def package(self, package_id: str) -> str:
        """The name of the package *package_id*."""
        return _name(self.packages, package_id)

    def item(self, item: str) -> str:
        """The name of the item *item*."""
        return _name(self.items, item)

    def beneficiary(self, beneficiary: str) -> str:
        """The name of the beneficiary *beneficiary*."""
        return _name(self.beneficiaries, beneficiary)

    def location(self, location: str) -> str:
        """The name of the location *location*."""
        return _name(self.locations, location)


@attrs.frozen
class _Voice:
    """How the sentences of one call are written: language, locale formats, audience, names.

    Its ``gettext`` and ``ngettext`` are the keywords the message extraction looks for.
    """

    translations: gettext.NullTranslations
    locale: Locale
    #: The locale as the caller spelled it, for :meth:`Money.format`.
    locale_name: str
    staff: bool
    names: Names
    result: Application

    def gettext(self, message: str, **fields: str) -> str:
        return self.translations.gettext(message).format(**fields)

    def ngettext(self, singular: str, plural: str, count: int, **fields: str) -> str:
        number = format_decimal(count, locale=self.locale)
        return self.translations.ngettext(singular, plural, count).format(count=number, **fields)

    def money(self, amount: Money) -> str:
        return amount.format(self.locale_name)

    def date(self, day: dt.date) -> str:
        return str(format_date(day, "long", locale=self.locale))

    def when(self, moment: dt.datetime) -> dict[str, str]:
        """The fields ``date`` and ``time`` of a local *moment*."""
        return {
            "date": self.date(moment.date()),
            "time": str(format_time(moment.time(), "short", locale=self.locale)),
        }

    def package(self, package_id: str) -> str:
        name = self.names.package(package_id)
        return f"{name} ({package_id})" if self.staff and name != package_id else name


def _voice(result: object, locale: str, audience: object, names: Names | None) -> _Voice:
    if not isinstance(result, Application):
        raise InvalidTypeError("result", f"must be a punchcard.Application, got {result!r}")
    if audience not in AUDIENCES:
        raise InvalidValueError("audience", f"must be one of {AUDIENCES!r}, got {audience!r}")
    if names is None:
        names = Names()
    elif not isinstance(names, Names):
        raise InvalidTypeError("names", f"must be a punchcard.Names, got {names!r}")
    try:
        parsed = Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidValueError("locale", f"unknown locale {locale!r}") from None
    found: gettext.NullTranslations = (
        translations(parsed.language)
        if parsed.language in LANGUAGES
        else gettext.NullTranslations()
    )
    return _Voice(found, parsed, locale, audience == "staff", names, result)


def explain(
    result: Application,
    *,
    locale: str = "en_US",
    audience: Audience = "customer",
    names: Names | None = None,
) -> list[str]:
    r"""One sentence per cart line of *result* (cart order), in the language of *locale*.

    *audience* ``"customer"`` names only the packages that could have paid for a line, with
    *names* (a :class:`Names`); ``"staff"`` lists every rejection with its reason code. An
    unknown *locale* raises :class:`~punchcard.errors.InvalidValueError` (field ``locale``).

    >>> import datetime as dt
    >>> from punchcard import Cart, Component, Line, Money, Package, apply
    >>> cart = Cart("smith", "downtown", "GBP", [
    ...     Line("l1", "daycare", Money("30", "GBP"), beneficiary="rex", units=2, charge_by="day"),
    ...     Line("l2", "treats", Money("4", "GBP"), beneficiary="rex"),
    ... ])
    >>> packages = [
    ...     Package(id="p1", owner="smith", purchased_at=dt.datetime(2026, 1, 5, 10),
    ...             components=[Component("daycare", 1)]),
    ...     Package(id="p2", owner="smith", purchased_at=dt.datetime(2025, 11, 2, 9),
    ...             expires_on=dt.date(2026, 3, 1), components=[Component("daycare", 5)]),
    ... ]
    >>> result = apply(cart, packages, as_of=dt.datetime(2026, 3, 2, 17, 30),
    ...                timezone="Europe/London")
    >>> names = Names(packages={"p1": "Daycare pass", "p2": "Winter pass"},
    ...               items={"daycare": "Daycare", "treats": "Treat bag"},
    ...               beneficiaries={"rex": "Rex"})
    >>> for sentence in explain(result, locale="en_GB", names=names):
    ...     print(sentence)
    Daycare for Rex (2 days): £30.00 paid with 1 credit from Daycare pass (£30.00); £30.00 still to pay. Winter pass expired on 1 March 2026 at 23:59.
    Treat bag for Rex: £4.00 to pay.

    German puts a no-break space between an amount and its currency sign; here it is shown as a
    plain space:

    >>> for sentence in explain(result, locale="de_DE", audience="staff"):
    ...     print(sentence.replace("\N{NO-BREAK SPACE}", " "))
    Position l1 (daycare für rex, 2 Tage zu 30,00 £): 30,00 £ bezahlt mit 1 Einheit von p1 (30,00 £); noch zu zahlen: 30,00 £. [expired] p2 ist am 1. März 2026 um 23:59 Uhr abgelaufen.
    Position l2 (treats für rex, 1 Stück zu 4,00 £): 4,00 £ zu zahlen. [type_mismatch] p1 gilt für daycare, nicht für treats. [expired] p2 ist am 1. März 2026 um 23:59 Uhr abgelaufen.
    """
    voice = _voice(result, locale, audience, names)
    paid: dict[str, list[Redemption]] = {}
    for redemption in result.redemptions:
        paid.setdefault(redemption.line_id, []).append(redemption)
    refused: dict[str, list[Rejection]] = {}
    for rejection in result.rejections:
        if voice.staff or rejection.matches_item:
            refused.setdefault(rejection.line_id, []).append(rejection)
    return [
        " ".join(
            [
                _outcome(voice, line, outcome, paid.get(line.id, [])),
                *_priorities(voice, result, paid.get(line.id, [])),
                *(_reason(voice, line, r) for r in refused.get(line.id, [])),
            ]
        )
        for line, outcome in zip(result.cart.lines, result.lines, strict=True)
    ]


def _priorities(voice: _Voice, result: Application, redemptions: list[Redemption]) -> list[str]:
    """A sentence per package that paid for the line with a priority of its own (X1): the
    priority decides the order of the packages before FIFO or earliest expiry does."""
    said: list[str] = []
    for package_id in dict.fromkeys(r.package_id for r in redemptions):
        priority = result.package(package_id).priority
        if priority != DEFAULT_PRIORITY:
            # Translators: a package's priority (0-100) puts it before or after the others.
            said.append(
                voice.gettext(
                    "{package} has priority {priority} (lower priorities are used first).",
                    package=voice.package(package_id),
                    priority=str(priority),
                )
            )
    return said


def explain_rejection(
    result: Application,
    rejection: Rejection,
    *,
    locale: str = "en_US",
    audience: Audience = "customer",
    names: Names | None = None,
) -> str:
    """The sentence of :func:`explain` about one *rejection* of *result*: why that package
    did not pay for that line (for staff, after the reason code in brackets).

    >>> import datetime as dt
    >>> from punchcard import Cart, Component, Line, Money, Package, apply
    >>> cart = Cart("smith", "downtown", "EUR", [Line("l1", "bath", Money("20", "EUR"))])
    >>> pack = Package(id="p1", owner="smith", purchased_at=dt.datetime(2026, 1, 5, 10),
    ...                beneficiary="bella", components=[Component("bath", 3)])
    >>> result = apply(cart, [pack], as_of=dt.datetime(2026, 3, 2, 17), timezone="Europe/Paris")
    >>> (rejection,) = result.rejections
    >>> explain_rejection(result, rejection, locale="fr_FR",
    ...                   names=Names(packages={"p1": "Forfait bain"}, beneficiaries={"bella": "Bella"}))
    'Forfait bain est réservé à Bella.'
    >>> explain_rejection(result, rejection, locale="es_ES", audience="staff")
    '[beneficiary_mismatch] p1 es solo para bella.'
    """
    voice = _voice(result, locale, audience, names)
    if not isinstance(rejection, Rejection):
        raise InvalidTypeError("rejection", f"must be a punchcard.Rejection, got {rejection!r}")
    for line in voice.result.cart.lines:
        if line.id == rejection.line_id:
            return _reason(voice, line, rejection)
    raise InvalidValueError("rejection", f"no line {rejection.line_id!r} in the cart")


def _what(voice: _Voice, line: Line) -> str:
    """The line's item, and whom it is for."""
    item = voice.names.item(line.item)
    if line.beneficiary is None:
        return item
    # Translators: a cart line: an item for a pet or family member ("Full day for Rex").
    return voice.gettext(
        "{item} for {beneficiary}", item=item, beneficiary=voice.names.beneficiary(line.beneficiary)
    )


def _quantity(voice: _Voice, line: Line) -> str:
    count = line.units
    if line.charge_by == "hour":
        return voice.ngettext("{count} hour", "{count} hours", count)
    if line.charge_by == "day":
        return voice.ngettext("{count} day", "{count} days", count)
    if line.charge_by == "night":
        return voice.ngettext("{count} night", "{count} nights", count)
    return voice.ngettext("{count} unit", "{count} units", count)


def _head(voice: _Voice, line: Line) -> str:
    """How the sentence names the line: for staff with its id, quantity and unit price."""
    what = _what(voice, line)
    if voice.staff:
        # Translators: for staff; {line} is the line id, {price} the price of one unit.
        return voice.gettext(
            "Line {line} ({what}, {quantity} at {price})",
            line=line.id,
            what=what,
            quantity=_quantity(voice, line),
            price=voice.money(line.unit_price),
        )
    return what if line.units == 1 else f"{what} ({_quantity(voice, line)})"


def _paid_by(voice: _Voice, line: Line, redemption: Redemption) -> str:
    """What one redemption took off the line."""
    package = voice.package(redemption.package_id)
    amount = voice.money(redemption.amount)
    if not redemption.credits:  # stored value (docs/semantics.md#x9-stored-value): no credits
        # Translators: money taken from a prepaid balance (a gift card, say).
        return voice.gettext(
            "{amount} from the balance of {package}", amount=amount, package=package
        )
    if redemption.item == line.item:
        return voice.ngettext(
            "{count} credit from {package} ({amount})",
            "{count} credits from {package} ({amount})",
            redemption.credits,
            package=package,
            amount=amount,
        )
    assert redemption.item is not None  # credits come from a component
    # Translators: a credit of another item (a full-day credit paying for a half day).
    return voice.ngettext(
        "{count} credit for {credit_item} from {package} ({amount})",
        "{count} credits for {credit_item} from {package} ({amount})",
        redemption.credits,
        credit_item=voice.names.item(redemption.item),
        package=package,
        amount=amount,
    )


def _outcome(voice: _Voice, line: Line, outcome: LineResult, redemptions: list[Redemption]) -> str:
    """The first sentence about a line: what paid for it, what is still due."""
    head = _head(voice, line)
    if not redemptions:
        if outcome.due:
            return voice.gettext("{line}: {due} to pay.", line=head, due=voice.money(outcome.due))
        return voice.gettext("{line}: nothing to pay.", line=head)
    credits = format_list([_paid_by(voice, line, r) for r in redemptions], locale=voice.locale)
    if not outcome.due:
        # Translators: {credits} lists what paid ("1 credit from 10-day pass ($30.00)").
        return voice.gettext("{line}: paid in full with {credits}.", line=head, credits=credits)
    return voice.gettext(
        "{line}: {covered} paid with {credits}; {due} still to pay.",
        line=head,
        covered=voice.money(outcome.covered),
        credits=credits,
        due=voice.money(outcome.due),
    )


def _reason(voice: _Voice, line: Line, rejection: Rejection) -> str:
    """The sentence saying why one package did not pay for *line*."""
    text = _builtin_reason(voice, line, rejection)
    if text is None:
        package = voice.package(rejection.package_id)
        detail = rejection.detail.strip().rstrip(".")
        if detail and rejection.reason not in _BUILTIN_CODES:  # the host's rule, the host's words
            # Translators: {detail} is the business's own text, as it wrote it.
            text = voice.gettext(
                "{package} cannot be used for this: {detail}.", package=package, detail=detail
            )
        else:
            text = voice.gettext("{package} cannot be used for this.", package=package)
    return f"[{rejection.reason}] {text}" if voice.staff else text


def _builtin_reason(voice: _Voice, line: Line, rejection: Rejection) -> str | None:
    """The sentence of a built-in reason code, or ``None`` when the facts it needs are missing
    (a host's rule that reuses a built-in code)."""
    result = voice.result
    state = result.package(rejection.package_id)
    package = voice.package(state.id)
    tz = result.at.tzinfo
    assert tz is not None
    component = next((c for c in state.components if c.item == rejection.item), None)
    pause = next((p for p in state.pauses if p.covers(result.at.date())), None)
    match rejection.reason:
        case "owner_mismatch":
            return voice.gettext("{package} belongs to another account.", package=package)
        case "beneficiary_mismatch" if state.beneficiary is not None:
            return voice.gettext(
                "{package} is for {beneficiary} only.",
                package=package,
                beneficiary=voice.names.beneficiary(state.beneficiary),
            )
        case "not_yet_valid":
            start = result.times(state.id).valid_utc.astimezone(tz)
            return voice.gettext(
                "{package} can be used from {date} at {time}.", package=package, **voice.when(start)
            )
        case "expired":
            end = result.expires_at(state.id)
            if end is None:
                return voice.gettext("{package} has expired.", package=package)
            # Translators: {date} and {time} are local ("3 March 2026", "23:59").
            return voice.gettext(
                "{package} expired on {date} at {time}.", package=package, **voice.when(end)
            )
        case "paused" if pause is not None:
            if pause.start == pause.end:
                # Translators: the customer put the package on hold for that one day.
                return voice.gettext(
                    "{package} is paused on {date}.", package=package, date=voice.date(pause.start)
                )
            # Translators: the customer put the package on hold; both dates are paused.
            return voice.gettext(
                "{package} is paused from {start} to {end}.",
                package=package,
                start=voice.date(pause.start),
                end=voice.date(pause.end),
            )
        case "location_mismatch" if state.location is not None:
            return voice.gettext(
                "{package} can be used only at {location}.",
                package=package,
                location=voice.names.location(state.location),
            )
        case "type_mismatch" if component is not None:
            return voice.gettext(
                "{package} pays for {credit_item}, not for {item}.",
                package=package,
                credit_item=voice.names.item(component.item),
                item=voice.names.item(line.item),
            )
        case "unit_mismatch" if component is not None:
            if component.hourly:
                return voice.gettext(
                    "{package} pays only for time charged by the hour.", package=package
                )
            return voice.gettext(
                "{package} does not pay for time charged by the hour.", package=package
            )
        case "zero_price":
            return voice.gettext(
                "{package} is not used on items that cost nothing.", package=package
            )
        case "no_rate":
            # Translators: a credit of another item has no known value at this location.
            return voice.gettext(
                "{package} cannot pay for {item}: its credits have no set value here.",
                package=package,
                item=voice.names.item(line.item),
            )
        case "value_exceeds_price":
            return voice.gettext(
                "{package} cannot pay for {item}: a credit is worth more than its price of {price}.",
                package=package,
                item=voice.names.item(line.item),
                price=voice.money(line.unit_price),
            )
        case "period_cap":
            # Translators: a cap of uses per period (say 2 classes a week) is reached; credits
            # are left for the periods after.
            return voice.gettext("{package} has no uses left this period.", package=package)
        case "exhausted":
            return voice.gettext("{package} has no credits left.", package=package)
    return None
