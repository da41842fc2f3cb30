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
        "  balance: daycare 8 left, 0 held, 2 used; baths 2 left",  # two checked out
        "  the front desk is refused: actor 'front-desk' lacks the permission "
        "'deduct_refund_credits'",
        "  balance: daycare 7 left, 0 held, 2 used; baths 2 left",  # one deducted
        "  send expiry_reminder to smith: 9 credits left, expires 2026-03-31",
        "  the next night: 0 notifications (each is due once)",
        "  + package_expired #9 at 2026-03-31 23:59 EDT",
        "  status expired; expired credits: daycare_full 7, bath 2",
        "Balances report as of Mar 31, 12:00",
        "Balances report as of Apr 1, 12:00: 0 rows (the package has expired)",
        "History of smith-1",
        "The ledger: 9 events; replaying them gives the same state.",
    ]
    positions = [lines.index(line) for line in expected_in_order]
    assert positions == sorted(positions)
    report = lines[lines.index("Balances report as of Mar 31, 12:00") + 1 :][:2]
    assert [line.split()[2:4] for line in report] == [["daycare_full", "7"], ["bath", "2"]]
    history = lines[lines.index("History of smith-1") + 1 :][:9]
    assert [int(line.split()[0]) for line in history] == list(range(1, 10))
    assert "deducted by manager-ann (no-show on Mar 9)" in history[7]
    assert "Revenue of smith-1: paid 280.00, used 46.68, deducted 23.34, breakage 209.98" in lines
