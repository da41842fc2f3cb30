"""punchcard.explanations: one sentence per cart line, for customers and staff, in their language.

The sentences are checked as people read them: whole sentences for the main cases in each shipped
language, and for every reason code (R1-R11 and R4a ``paused``) a sentence of its own in every
language and for both audiences.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import attrs
import pytest

from punchcard import (
    Application,
    Cart,
    Component,
    InvalidTypeError,
    InvalidValueError,
    Line,
    Money,
    Package,
    Policy,
    Rates,
    Rejection,
    Settings,
    apply,
)
from punchcard._booking import PERIOD_CAP, booking_policy
from punchcard.cli import main
from punchcard.explanations import AUDIENCES, Names, explain, explain_rejection
from punchcard.locale import LANGUAGES
from punchcard.models import Pause
from punchcard.rules import REASON_CODES, FunctionRule
from punchcard.scenario import parse

NBSP = "\N{NO-BREAK SPACE}"
NNBSP = "\N{NARROW NO-BREAK SPACE}"
AT = dt.datetime(2026, 3, 2, 17, 30)
ZONE = "America/New_York"
#: A locale per shipped language.
LOCALES = {"de": "de_DE", "en": "en_US", "es": "es_ES", "fr": "fr_FR"}
#: The built-in codes and ``period_cap`` (X10, the cap of uses per period of issue 12 option 13).
ALL_CODES = (*REASON_CODES, PERIOD_CAP)

NAMES = Names(
    packages={"p1": "10-day pass", "p2": "Winter pass", "p3": "Grooming bundle"},
    items={"daycare": "Full day", "boarding": "Boarding", "treats": "Treat bag"},
    beneficiaries={"rex": "Rex", "bella": "Bella"},
    locations={"uptown": "Uptown"},
)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def package(pid: str = "p1", item: str = "daycare", remaining: int = 5, **fields: Any) -> Package:
    hourly = fields.pop("hourly", False)
    fields.setdefault("owner", "smith")
    fields.setdefault("purchased_at", dt.datetime(2026, 1, 5, 10))
    return Package(id=pid, components=[Component(item, remaining, hourly=hourly)], **fields)


def line(lid: str = "l1", item: str = "daycare", price: str = "30", **fields: Any) -> Line:
    fields.setdefault("beneficiary", "rex")
    return Line(lid, item, usd(price), **fields)


def run(lines: Sequence[Line], packages: Sequence[Package], **options: Any) -> Application:
    options.setdefault("as_of", AT)
    options.setdefault("timezone", ZONE)
    return apply(Cart("smith", "downtown", "USD", lines), packages, **options)


def plain(text: str) -> str:
    """*text* with its no-break spaces shown as spaces (babel puts them in money and times)."""
    return text.replace(NBSP, " ").replace(NNBSP, " ")


# --- What paid, what is due ---------------------------------------------------------------------


def test_a_line_paid_in_full_names_the_package_and_the_amount() -> None:
    result = run([line()], [package()])
    assert explain(result, names=NAMES) == [
        "Full day for Rex: paid in full with 1 credit from 10-day pass ($30.00)."
    ]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en_US", "Full day for Rex (3 days): paid in full with 2 credits from 10-day pass ($60.00) and 1 credit from Winter pass ($30.00)."),
        ("es_ES", "Full day para Rex (3 días): pagado por completo con 2 créditos de 10-day pass (60,00 US$) y 1 crédito de Winter pass (30,00 US$)."),
        ("fr_FR", "Full day pour Rex (3 jours) : réglé en totalité avec 2 crédits de 10-day pass (60,00 $US) et 1 crédit de Winter pass (30,00 $US)."),
        ("de_DE", "Full day für Rex (3 Tage): vollständig bezahlt mit 2 Einheiten von 10-day pass (60,00 $) und 1 Einheit von Winter pass (30,00 $)."),
    ],
)  # fmt: skip
def test_several_packages_on_one_line_in_each_language(locale: str, expected: str) -> None:
    result = run(
        [line(units=3, charge_by="day")],
        [
            package("p1", remaining=2),
            package("p2", remaining=4, purchased_at=dt.datetime(2026, 2, 1)),
        ],
    )
    assert [plain(s) for s in explain(result, locale=locale, names=NAMES)] == [expected]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en_US", "Boarding for Bella (3 nights): $80.00 paid with 2 credits from 10-day pass ($80.00); $40.00 still to pay. Winter pass expired on March 1, 2026 at 11:59 PM."),
        ("es_ES", "Boarding para Bella (3 noches): 80,00 US$ pagado con 2 créditos de 10-day pass (80,00 US$); quedan 40,00 US$ por pagar. Winter pass caducó el 1 de marzo de 2026 a las 23:59."),
        ("fr_FR", "Boarding pour Bella (3 nuits) : 80,00 $US réglé avec 2 crédits de 10-day pass (80,00 $US) ; reste à payer : 40,00 $US. Winter pass a expiré le 1 mars 2026 à 23:59."),
        ("de_DE", "Boarding für Bella (3 Nächte): 80,00 $ bezahlt mit 2 Einheiten von 10-day pass (80,00 $); noch zu zahlen: 40,00 $. Winter pass ist am 1. März 2026 um 23:59 Uhr abgelaufen."),
    ],
)  # fmt: skip
def test_a_line_partly_paid_says_what_is_still_due_and_why(locale: str, expected: str) -> None:
    result = run(
        [line(item="boarding", price="40", units=3, charge_by="night", beneficiary="bella")],
        [
            package("p1", "boarding", remaining=2),
            package("p2", "boarding", expires_on=dt.date(2026, 3, 1)),
        ],
    )
    assert [plain(s) for s in explain(result, locale=locale, names=NAMES)] == [expected]


def test_a_line_nothing_paid_says_what_is_due() -> None:
    result = run([line(beneficiary=None)], [package(remaining=0)])
    assert explain(result) == ["daycare: $30.00 to pay. p1 has no credits left."]


def test_a_free_line_says_nothing_to_pay_and_why_no_credit_was_used() -> None:
    result = run([line(item="treats", price="0")], [package(item="treats")])
    assert explain(result, names=NAMES) == [
        "Treat bag for Rex: nothing to pay. 10-day pass is not used on items that cost nothing."
    ]


def test_a_cross_item_credit_names_its_item() -> None:
    # A boarding credit is worth the $25 default rate of boarding: it takes $25 off a $30 day.
    result = run(
        [line()],
        [package(item="boarding")],
        settings=Settings(any_type=True),
        rates=Rates.from_mapping({"downtown": {"boarding": usd("25")}}),
    )
    assert explain(result, names=NAMES) == [
        "Full day for Rex: $25.00 paid with 1 credit for Boarding from 10-day pass ($25.00);"
        " $5.00 still to pay."
    ]


def test_money_taken_from_a_balance_is_said_without_credits() -> None:
    # Stored value (semantics.md X9) redeems money, not credits: credits == 0.
    card = Package(id="p1", owner="smith", purchased_at=dt.datetime(2026, 1, 5), balance=usd("40"))
    stored = run([line(price="25")], [card])
    assert [(r.item, r.credits, r.amount) for r in stored.redemptions] == [(None, 0, usd("25"))]
    assert explain(stored, names=NAMES) == [
        "Full day for Rex: paid in full with $25.00 from the balance of 10-day pass."
    ]
    assert plain(explain(stored, locale="fr_FR")[0]) == (
        "daycare pour rex : réglé en totalité avec 25,00 $US du solde de p1."
    )


def test_one_sentence_per_line_in_cart_order() -> None:
    # Cheapest first takes the credit for l2; the sentences still follow the cart.
    result = run(
        [line("l1", price="30"), line("l2", price="20"), line("l3", item="treats", price="5")],
        [package(remaining=1)],
    )
    sentences = explain(result, audience="staff")
    assert [s.split(" ")[1] for s in sentences] == ["l1", "l2", "l3"]
    assert "paid in full" in sentences[1]
    assert explain(run([], [package()])) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_follow_the_language(language: str) -> None:
    locale = LOCALES[language]
    one = explain(run([line()], [package()]), locale=locale)[0]
    two = explain(run([line(units=2)], [package()]), locale=locale)[0]
    singular, plural = {
        "de": ("1 Einheit von", "2 Einheiten von"),
        "en": ("1 credit from", "2 credits from"),
        "es": ("1 crédito de", "2 créditos de"),
        "fr": ("1 crédit de", "2 crédits de"),
    }[language]
    assert singular in one
    assert plural in two
    assert plural not in one
    assert singular not in two


# --- Why not ------------------------------------------------------------------------------------


def test_customer_sentences_name_only_packages_that_could_pay_for_the_line() -> None:
    # The example: a treat bag is not paid by a grooming bundle "for another pet".
    result = run(
        [line("l1", item="treats", price="4")],
        [package("p3", item="grooming", beneficiary="bella")],
    )
    (rejection,) = result.rejections
    assert (rejection.reason, rejection.matches_item) == ("beneficiary_mismatch", False)
    assert explain(result, names=NAMES) == ["Treat bag for Rex: $4.00 to pay."]
    assert explain(result, audience="staff", names=NAMES) == [
        "Line l1 (Treat bag for Rex, 1 unit at $4.00): $4.00 to pay."
        " [beneficiary_mismatch] Grooming bundle (p3) is for Bella only."
    ]


def test_staff_sentences_keep_every_rejection_with_its_code() -> None:
    result = run(
        [line()],
        [
            package("p1", remaining=0),
            package("p2", expires_on=dt.date(2026, 3, 1)),
            package("p3", item="grooming"),
        ],
    )
    codes = [r.reason for r in result.rejections]
    assert codes == ["exhausted", "expired", "type_mismatch"]
    (staff,) = explain(result, audience="staff")
    assert staff == (
        "Line l1 (daycare for rex, 1 unit at $30.00): $30.00 to pay."
        " [exhausted] p1 has no credits left."
        " [expired] p2 expired on March 1, 2026 at 11:59\N{NARROW NO-BREAK SPACE}PM."
        " [type_mismatch] p3 pays for grooming, not for daycare."
    )
    (customer,) = explain(result)
    assert "p3" not in customer
    assert "[" not in customer


def test_expiry_is_said_in_the_business_zone_whatever_the_zone_of_the_checkout_time() -> None:
    # 05:00 UTC on 4 March is midnight in New York: the package ended at 23:59 local on 3 March.
    result = run(
        [line()],
        [package(expires_on=dt.date(2026, 3, 3))],
        as_of=dt.datetime(2026, 3, 4, 5, 0, tzinfo=dt.timezone.utc),
    )
    assert explain(result, locale="en_GB") == [
        "daycare for rex: US$30.00 to pay. p1 expired on 3 March 2026 at 23:59."
    ]
    whole_day = run(
        [line()],
        [package(expires_on=dt.date(2026, 3, 2))],
        as_of=dt.datetime(2026, 3, 3, 9),
        policy=Policy(expires_at="24:00"),
    )
    assert explain(whole_day, locale="en_GB")[0].endswith("p1 expired on 3 March 2026 at 00:00.")


def test_not_yet_valid_says_from_when_in_local_time() -> None:
    bought = dt.datetime(2026, 3, 2, 23, 15, tzinfo=dt.timezone.utc)  # 18:15 in New York
    result = run([line()], [package(purchased_at=bought)])
    assert plain(explain(result, locale="de_DE", names=NAMES)[0]) == (
        "Full day für Rex: 30,00 $ zu zahlen. 10-day pass gilt ab dem 2. März 2026 um 18:15 Uhr."
    )


def test_not_yet_valid_says_the_later_of_purchase_and_valid_from() -> None:
    # The engine of this branch does not judge valid_from yet (X6): the rejection is given.
    later = package(valid_from=dt.datetime(2026, 3, 5, 9, 0))
    result = run([line()], [later])
    rejection = Rejection("l1", "p1", "not_yet_valid", item="daycare")
    assert plain(explain_rejection(result, rejection, locale="fr_FR", names=NAMES)) == (
        "10-day pass est utilisable à partir du 5 mars 2026 à 09:00."
    )
    earlier = package(valid_from=dt.datetime(2025, 12, 1), purchased_at=dt.datetime(2026, 3, 3, 8))
    result = run([line()], [earlier])
    assert plain(explain_rejection(result, rejection)) == (
        "p1 can be used from March 3, 2026 at 8:00 AM."
    )


@pytest.mark.parametrize(
    ("pauses", "expected"),
    [
        ([(dt.date(2026, 2, 20), dt.date(2026, 2, 25)), (dt.date(2026, 3, 1), dt.date(2026, 3, 10))],
         "[paused] p1 ist vom 1. März 2026 bis zum 10. März 2026 pausiert."),
        ([(dt.date(2026, 3, 2), dt.date(2026, 3, 2))], "[paused] p1 ist am 2. März 2026 pausiert."),
        ([(dt.date(2026, 3, 3), dt.date(2026, 3, 4))], "[paused] p1 kann hierfür nicht verwendet werden."),
    ],
    ids=["the-pause-of-the-day", "one-day", "no-pause-that-day"],
)  # fmt: skip
def test_a_paused_package_says_which_pause(
    pauses: list[tuple[dt.date, dt.date]], expected: str
) -> None:
    held = package(pauses=[Pause(start, end) for start, end in pauses])
    result = run([line()], [held])
    rejection = Rejection("l1", "p1", "paused", item="daycare")
    assert explain_rejection(result, rejection, locale="de_DE", audience="staff") == expected


def test_location_is_named_by_the_host() -> None:
    result = run([line()], [package(location="uptown")])
    assert explain(result, locale="es_MX", names=NAMES)[0].endswith(
        "10-day pass solo se puede usar en Uptown."
    )


def _custom(code: str, detail: str) -> Policy:
    """A policy whose rule *code* (a built-in one replaced, or a new one) always fails."""
    rule = FunctionRule(code, "package", lambda c, ln, ctx: False, detail)
    builtin = [r for r in Policy().rules if r.code != code]
    return Policy(rules=(*builtin, rule))


def test_a_rule_of_the_host_is_explained_with_its_own_words() -> None:
    policy = _custom("holiday", "no package credits on public holidays.")
    result = run([line()], [package()], policy=policy)
    assert explain(result, names=NAMES)[0].endswith(
        "10-day pass cannot be used for this: no package credits on public holidays."
    )
    assert explain(result, audience="staff")[0].endswith(
        "[holiday] p1 cannot be used for this: no package credits on public holidays."
    )
    bare = run([line()], [package()], policy=_custom("holiday", ""))
    assert plain(explain(bare, locale="fr_FR")[0]).endswith("p1 ne peut pas servir ici.")


def test_a_builtin_code_without_its_facts_gets_a_plain_sentence() -> None:
    # A host's rule in place of the built-in "expired" one refuses a package that never expires,
    # another in place of "location_mismatch" a global package: no date to say, no location.
    expired = run([line()], [package()], policy=_custom("expired", "closed for the season"))
    assert explain(expired)[0].endswith("p1 has expired.")
    located = run([line()], [package()], policy=_custom("location_mismatch", "elsewhere"))
    assert explain(located)[0].endswith("p1 cannot be used for this.")


def _rejected(code: str) -> tuple[Application, Rejection]:
    """A result in which package p1 is rejected for the line l1 with *code*."""
    daycare = line()
    scenarios: dict[str, tuple[list[Line], list[Package], dict[str, Any]]] = {
        "owner_mismatch": ([daycare], [package(owner="jones")], {}),
        "beneficiary_mismatch": ([daycare], [package(beneficiary="bella")], {}),
        "not_yet_valid": ([daycare], [package(purchased_at=dt.datetime(2026, 3, 3, 9))], {}),
        "expired": ([daycare], [package(expires_on=dt.date(2026, 3, 1))], {}),
        "location_mismatch": ([daycare], [package(location="uptown")], {}),
        "type_mismatch": ([daycare], [package(item="grooming")], {}),
        "unit_mismatch": ([daycare], [package(hourly=True)], {}),
        "zero_price": ([line(price="0")], [package()], {}),
        "no_rate": ([daycare], [package(item="boarding")], {"settings": Settings(any_type=True)}),
        "value_exceeds_price": (
            [daycare],
            [package(item="boarding")],
            {
                "settings": Settings(any_type=True),
                "rates": Rates.from_mapping({"downtown": {"boarding": usd("45")}}),
            },
        ),
        "exhausted": ([daycare], [package(remaining=0)], {}),
        "paused": (
            [daycare],
            [package(pauses=[Pause(dt.date(2026, 3, 1), dt.date(2026, 3, 10))])],
            {},
        ),
        # the component's offer was cut by the cap to its 0 uses left; credits are left
        "period_cap": (
            [daycare],
            [package(remaining=0)],
            {"policy": booking_policy(Policy(), {("p1", "daycare")})},
        ),
    }
    lines, packages, options = scenarios[code]
    result = run(lines, packages, **options)
    (rejection,) = result.rejections
    assert (rejection.line_id, rejection.package_id, rejection.reason) == ("l1", "p1", code)
    return result, rejection


def test_every_reason_code_can_be_produced() -> None:
    assert set(ALL_CODES) == {_rejected(code)[1].reason for code in ALL_CODES}


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_code_has_a_sentence_of_its_own(language: str, audience: str) -> None:
    locale = LOCALES[language]
    sentences: dict[str, str] = {}
    for code in ALL_CODES:
        result, rejection = _rejected(code)
        text = explain_rejection(result, rejection, locale=locale, audience=audience, names=NAMES)  # type: ignore[arg-type]
        generic = explain_rejection(
            result, attrs.evolve(rejection, reason="other_code"), locale=locale, audience=audience,  # type: ignore[arg-type]
            names=NAMES,
        )  # fmt: skip
        assert "10-day pass" in text
        assert text.rstrip().endswith(".")
        assert text.split("] ")[-1] != generic.split("] ")[-1], code
        if audience == "staff":
            assert text.startswith(f"[{code}] 10-day pass (p1) ")
        else:
            assert "[" not in text
            assert "(p1)" not in text
        if language != "en":
            english = explain_rejection(result, rejection, audience=audience, names=NAMES)  # type: ignore[arg-type]
            assert text != english, code
        sentences[code] = text
    assert len(set(sentences.values())) == len(ALL_CODES)


@pytest.mark.parametrize("code", REASON_CODES)
def test_a_reason_a_customer_may_read_appears_in_the_line_sentence(code: str) -> None:
    result, rejection = _rejected(code)
    (customer,) = explain(result, names=NAMES)
    (staff,) = explain(result, audience="staff", names=NAMES)
    assert explain_rejection(result, rejection, audience="staff", names=NAMES) in staff
    shown = explain_rejection(result, rejection, names=NAMES) in customer
    assert shown == rejection.matches_item
    # A credit of another kind (or unit) cannot pay the line whatever else holds.
    assert rejection.matches_item == (code not in ("type_mismatch", "unit_mismatch"))


# --- Names, locales, errors ---------------------------------------------------------------------


def test_unknown_ids_are_shown_as_they_are_and_staff_see_ids_beside_names() -> None:
    result = run([line()], [package()])
    assert explain(result) == ["daycare for rex: paid in full with 1 credit from p1 ($30.00)."]
    assert explain(result, audience="staff", names=NAMES) == [
        "Line l1 (Full day for Rex, 1 unit at $30.00):"
        " paid in full with 1 credit from 10-day pass (p1) ($30.00)."
    ]


def test_names_are_a_value() -> None:
    assert Names(items={"a": "A", "b": "B"}) == Names(items={"b": "B", "a": "A"})
    assert hash(Names(items={"a": "A"})) == hash(attrs.evolve(Names(items={"a": "A"})))
    with pytest.raises(InvalidTypeError, match="names: must be a mapping"):
        Names(items=["a"])  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="non-empty strings"):
        Names(packages={"p1": 7})


@pytest.mark.parametrize(
    ("locale", "start"),
    [
        ("de_AT", "daycare für rex"),
        ("de_CH", "daycare für rex"),
        ("es_MX", "daycare para rex"),
        ("fr_CA", "daycare pour rex"),
        ("en_GB", "daycare for rex"),
        ("de", "daycare für rex"),
    ],
)
def test_a_regional_locale_uses_its_language(locale: str, start: str) -> None:
    assert explain(run([line()], [package()]), locale=locale)[0].startswith(start)


def test_a_language_without_a_catalogue_reads_english_with_its_own_formats() -> None:
    result = apply(
        Cart("smith", "roma", "EUR", [Line("l1", "daycare", Money("30", "EUR"))]),
        [package()],
        as_of=AT,
        timezone="Europe/Rome",
    )
    assert plain(explain(result, locale="it_IT")[0]) == (
        "daycare: paid in full with 1 credit from p1 (30,00 €)."
    )


@pytest.mark.parametrize("locale", ["xx_XX", "klingon", ""])
def test_an_unknown_locale_is_an_error_naming_the_field(locale: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        explain(run([line()], [package()]), locale=locale)
    assert info.value.field == "locale"
    assert repr(locale) in str(info.value)


def test_bad_arguments_are_errors_naming_the_field() -> None:
    result = run([line()], [package(remaining=0)])
    with pytest.raises(InvalidValueError, match="audience: must be one of"):
        explain(result, audience="manager")  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match=r"result: must be a punchcard\.Application"):
        explain({"lines": []})  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match=r"names: must be a punchcard\.Names"):
        explain(result, names={"p1": "x"})  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match=r"rejection: must be a punchcard\.Rejection"):
        explain_rejection(result, "exhausted")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="rejection: no line 'l9' in the cart"):
        explain_rejection(result, Rejection("l9", "p1", "exhausted"))


# --- The command line ---------------------------------------------------------------------------


def _document() -> dict[str, Any]:
    return {
        "at": "2026-03-02T17:30:00",
        "timezone": ZONE,
        "currency": "EUR",
        "cart": {
            "owner": "smith",
            "location": "downtown",
            "lines": [{"id": "l1", "item": "daycare", "for": "rex", "unit_price": "30.00"}],
        },
        "packages": [
            {
                "id": "p1",
                "owner": "smith",
                "purchased_at": "2026-01-05T10:00:00",
                "expires_on": "2026-03-01",
                "credits": [{"item": "daycare", "remaining": 3}],
            }
        ],
    }


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR", "es_ES"])
def test_the_cli_explains_with_the_same_function_for_customers(
    locale: str, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    path = tmp_path / "cart.json"
    document = _document()
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["apply", str(path), "--explain", "--locale", locale]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["explanation"] == explain(parse(document).run(), locale=locale)
    assert len(out["explanation"]) == 1
    assert "p1" in out["explanation"][0]
    assert "[expired]" not in out["explanation"][0]


def test_a_package_with_a_priority_of_its_own_says_so_where_it_paid() -> None:
    """Issue 12 (X1): when a package that paid a line has a priority other than the default,
    the sentence says it, since the priority chose it before FIFO or earliest expiry; a package
    at the default priority adds nothing (every earlier sentence is unchanged)."""
    at = dt.datetime(2026, 3, 2, 17, 30)
    cart = Cart("smith", "downtown", "USD", [Line("l1", "daycare", Money("30", "USD"))])

    def pkg(pid: str, **terms: Any) -> Package:
        return Package(
            id=pid,
            owner="smith",
            purchased_at=dt.datetime(2026, 1, 5),
            components=[Component("daycare", 2)],
            **terms,
        )

    promo = apply(cart, [pkg("old"), pkg("promo", priority=10)], as_of=at, timezone="UTC")
    assert [r.package_id for r in promo.redemptions] == ["promo"]
    (sentence,) = explain(promo)
    assert sentence.endswith(
        "paid in full with 1 credit from promo ($30.00). "
        "promo has priority 10 (lower priorities are used first)."
    )
    (spanish,) = explain(promo, locale="es")
    assert "promo tiene prioridad 10" in spanish
    plain = apply(cart, [pkg("old"), pkg("new")], as_of=at, timezone="UTC")
    assert "priority" not in explain(plain)[0]
