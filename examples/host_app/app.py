"""The web layer of the daycare example: FastAPI routes, request bodies and error responses.
Everything that talks to punchcard is in ``daycare.py``.

    pip install 'punchcard[sql]' fastapi uvicorn
    uvicorn app:app --app-dir examples/host_app      # DAYCARE_DB=sqlite:///daycare.db by default

Every POST takes an ``Idempotency-Key`` header (the same key sent again gets the first answer and
changes nothing) and an ``as_of`` time in its body (the time of the request; the app's clock in a
real deployment). One request, one transaction: the daycare's rows and punchcard's commit
together or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import daycare
import sqlalchemy as sa
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from punchcard.errors import PunchcardError
from punchcard.lifecycle import OperationRefused, PermissionDenied
from punchcard.store import Conflict, OwnerMismatch


class Timed(BaseModel):
    as_of: dt.datetime


class Sale(Timed):
    type_id: str
    package_id: str


class LineIn(BaseModel):
    id: str
    item: str
    price: str
    units: int = 1


class Booking(Timed):
    booking: str
    scheduled_for: dt.datetime
    lines: list[LineIn]


class Ticket(Timed):
    booking: str | None = None
    lines: list[LineIn] = []
    payment: str = "ok"


class Adjustment(Timed):
    item: str
    credits: int
    staff: str


def create_app(url: str) -> FastAPI:
    engine = sa.create_engine(url)
    daycare.setup(engine)
    app = FastAPI(title="Daycare")

    @contextlib.contextmanager
    def desk(body: Timed, key: str) -> Iterator[daycare.Desk]:
        with engine.begin() as conn:  # one request, one transaction
            yield daycare.Desk(conn, key, body.as_of)

    def lines(body: Booking | Ticket) -> list[dict[str, Any]]:
        return [line.model_dump() for line in body.lines]

    @app.exception_handler(PunchcardError)
    def refused(_request: Request, exc: PunchcardError) -> JSONResponse:
        status = 422
        if isinstance(exc, OperationRefused):
            status = 409
        elif isinstance(exc, PermissionDenied):
            status = 403
        elif isinstance(exc, OwnerMismatch):
            status = 404
        elif isinstance(exc, Conflict):
            status = 503
        code = getattr(exc, "code", type(exc).__name__)
        return JSONResponse({"error": code, "message": str(exc)}, status_code=status)

    @app.post("/customers/{owner}/packages")
    def sell(owner: str, body: Sale, key: str = Header(alias="Idempotency-Key")) -> Any:
        with desk(body, key) as d:
            return {"events": daycare.sell(d, owner, body.type_id, body.package_id)}

    @app.post("/customers/{owner}/bookings")
    def book(owner: str, body: Booking, key: str = Header(alias="Idempotency-Key")) -> Any:
        with desk(body, key) as d:
            return daycare.book(d, owner, body.booking, lines(body), body.scheduled_for)

    @app.post("/customers/{owner}/bookings/{booking}/cancel")
    def cancel(
        owner: str, booking: str, body: Timed, key: str = Header(alias="Idempotency-Key")
    ) -> Any:
        with desk(body, key) as d:
            return {"credits_restored": daycare.cancel(d, owner, booking)}

    @app.post("/customers/{owner}/tickets/{ticket}/close")
    def close(
        owner: str, ticket: str, body: Ticket, key: str = Header(alias="Idempotency-Key")
    ) -> Any:
        with desk(body, key) as d:
            due = daycare.close_ticket(d, owner, ticket, body.booking, lines(body))
            if body.payment != "ok":  # the card was declined: nothing of the ticket stays
                raise PaymentDeclined()
            return due

    @app.post("/customers/{owner}/packages/{package_id}/adjust")
    def adjust(
        owner: str, package_id: str, body: Adjustment, key: str = Header(alias="Idempotency-Key")
    ) -> Any:
        with desk(body, key) as d:
            return {
                "credits": daycare.adjust(d, owner, package_id, body.item, body.credits, body.staff)
            }

    @app.post("/nightly")
    def nightly(body: Timed, key: str = Header(alias="Idempotency-Key")) -> Any:
        return {"events": daycare.nightly(engine, key, body.as_of)}

    @app.get("/customers/{owner}/balances")
    def balances(owner: str, as_of: dt.datetime) -> Any:
        with engine.connect() as conn:
            return daycare.balances(daycare.Desk(conn, "", as_of), owner)

    @app.exception_handler(PaymentDeclined)
    def declined(_request: Request, _exc: PaymentDeclined) -> JSONResponse:
        return JSONResponse({"error": "payment_declined"}, status_code=402)

    app.state.engine = engine
    return app


class PaymentDeclined(Exception):
    """The host's own error: raised inside the request's transaction, it rolls all of it back."""


def __getattr__(name: str) -> FastAPI:
    """``app``, made when uvicorn asks for it (importing this module creates no database)."""
    if name != "app":
        raise AttributeError(name)
    return create_app(os.environ.get("DAYCARE_DB", "sqlite:///daycare.db"))
