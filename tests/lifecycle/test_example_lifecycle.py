"""examples/lifecycle.py runs and tells the month it describes."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "lifecycle.py"


def test_the_example_runs_and_prints_the_month(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    lines = out.splitlines()
    expected_in_order = [
        "Mar 1: the Smiths buy the bundle in the portal",
        "  expires on 2026-03-31 at 23:59 local",
        "  balance: daycare 7 left, 3 held, 0 used; baths 2 left",  # three days held
        "  balance: daycare 8 left, 2 held, 0 used; baths 2 left",  # one cancelled, restored
        "  cancelling again is refused: booking 'appt-mar5' was already cancelled; "
        "nothing to restore",
        # the ticket closed at 17:30: the day held for 08:00 was used then, recorded first
        "  + redemption_used #6 at 2026-03-04 08:00 EST",
        "  + credits_redeemed #7 at 2026-03-04 17:30 EST",
        "  bath-4: 20.00 covered, 0.00 due",
        "  balance: daycare 8 left, 1 held, 1 used; baths 1 left",
        "  + redemption_used #8 at 2026-03-06 07:45 EST",  # completed at drop-off
        "  balance: daycare 8 left, 0 held, 2 used; baths 1 left",
        "  the front desk is refused: actor 'front-desk' lacks the permission "
        "'deduct_refund_credits'",
        "  balance: daycare 7 left, 0 held, 2 used; baths 1 left",  # one deducted
        "  send expiry_reminder to smith: 8 credits left, expires 2026-03-31",
        "  the next night: 0 notifications (each is due once)",
        "  + package_expired #10 at 2026-03-31 23:59 EDT",
        "  status expired; expired credits: daycare_full 7, bath 1",
        "Balances report as of Mar 31, 12:00",
        "Balances report as of Apr 1, 12:00: 0 rows (the package has expired)",
        "History of smith-1",
        "The ledger: 10 events; replaying them gives the same state.",
    ]
    positions = [lines.index(line) for line in expected_in_order]
    assert positions == sorted(positions)
    report = lines[lines.index("Balances report as of Mar 31, 12:00") + 1 :][:2]
    assert [line.split()[2:4] for line in report] == [["daycare_full", "7"], ["bath", "1"]]
    history = lines[lines.index("History of smith-1") + 1 :][:10]
    assert [int(line.split()[0]) for line in history] == list(range(1, 11))
    assert "1 daycare_full of appt-mar4 used (its time passed)" in history[5]
    assert "1 daycare_full of appt-mar6 used (completed)" in history[7]
    assert "deducted by manager-ann (no-show on Mar 9)" in history[8]
    # 280.00 over 10 days + 2 baths: a day is worth 23.33 or 23.34, a bath 23.33 or 23.34
    assert "Revenue of smith-1: paid 280.00, used 70.02, deducted 23.34, breakage 186.64" in lines
