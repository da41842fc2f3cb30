"""``punchcard sweep`` and ``punchcard backtest`` (punchcard.scale._cli, through punchcard.cli).

In this process (``--workers 0``): they print the JSON the Python functions return, write the
files they say, append idempotently, read a database ledger (sqlite3) to the same answer as the
Parquet one, and refuse bad input with exit status 2 and one line naming the place.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from scale_kit import AS_OF, population

from punchcard.cli import main
from punchcard.scale import (
    ParquetLedger,
    Variant,
    activity_info,
    backtest,
    sweep,
    write_activity,
)

TIME = AS_OF.isoformat()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


def test_sweep_prints_the_summary_and_writes_the_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _activity, ledger = population(tmp_path)
    expected = sweep(ledger, as_of=AS_OF, processes=False)
    code, out, err = _run(
        capsys,
        "sweep",
        str(ledger),
        "--as-of",
        TIME,
        "--out",
        str(tmp_path / "o"),
        "--workers",
        "0",
    )
    assert (code, err) == (0, "")  # (stderr is not a terminal here: no progress)
    assert out == {**expected.to_json(), "skipped": 0}
    assert (tmp_path / "o" / "sweep.json").exists()
    again_args = (
        *("sweep", str(ledger), "--as-of", TIME, "--out", str(tmp_path / "o")),
        *("--workers", "0", "--append"),
    )
    code, again, _err = _run(capsys, *again_args)
    assert code == 0
    assert again["skipped"] == 4
    assert again["appended_files"] == 8
    code, third, _err = _run(capsys, *again_args)
    assert third["appended_files"] == 0


def test_sweep_reads_a_database_ledger(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _activity, ledger = population(tmp_path)
    parquet = ParquetLedger(ledger)
    db = tmp_path / "events.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE events (position INTEGER PRIMARY KEY, owner TEXT, package_id TEXT, "
            "seq INTEGER, type TEXT, format INTEGER, body TEXT)"
        )
        conn.executemany(
            "INSERT INTO events (owner, package_id, seq, type, format, body) VALUES (?, ?, ?, ?, 1, ?)",
            [
                (r.owner, r.package_id, r.seq, r.type, r.body)
                for p in parquet.partitions()
                for r in parquet.read(p)
            ],
        )
    args = (
        "sweep",
        f"sqlite:{db}",
        "--table",
        "events",
        "--partitions",
        "3",
        "--as-of",
        TIME,
        "--workers",
        "0",
    )
    code, out, _err = _run(capsys, *args, "--out", str(tmp_path / "o"))
    assert code == 0
    assert out["partitions"] == 3
    assert out["digest"] == sweep(ledger, as_of=AS_OF, processes=False).digest
    code, _out, err = _run(capsys, *args, "--out", str(tmp_path / "o2"), "--append")
    assert code == 2
    assert err == "punchcard: error: --append: appends to a Parquet ledger only\n"


def test_backtest_writes_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    activity, _ledger = population(tmp_path)
    report, page = tmp_path / "r.json", tmp_path / "r.html"
    code, out, err = _run(
        capsys, "backtest", str(activity), "--workers", "0", "--json", str(report), "--html", str(page),
        "--variant", "fifo", "--variant", "anywhere:any_location=on,package_order=earliest_expiry",
    )  # fmt: skip
    assert (code, err) == (0, "")
    full = json.loads(report.read_text())
    assert out == {k: full[k] for k in ("variants", "owners", "records", "partitions", "totals")}
    assert [v["name"] for v in full["variants"]] == ["fifo", "anywhere"]
    assert full["variants"][1]["choices"] == {
        "any_location": True,
        "package_order": "earliest_expiry",
    }
    assert page.read_text().startswith("<!DOCTYPE html>")


def test_backtest_without_files_prints_the_whole_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    activity, _ledger = population(tmp_path)
    code, out, _err = _run(capsys, "backtest", str(activity), "--workers", "0", "--variant", "x")
    assert code == 0
    assert out == backtest(activity, [Variant("x")], processes=False).to_json()


def test_backtest_compares_fifo_and_earliest_expiry_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_activity(tmp_path, activity_info(parts=2, months=2), [])  # (a quiet shop)
    code, out, _err = _run(capsys, "backtest", str(tmp_path), "--workers", "0")
    assert code == 0
    assert out["variants"] == [
        {"name": "fifo", "choices": {}},
        {"name": "earliest_expiry", "choices": {"package_order": "earliest_expiry"}},
    ]
    assert out["months"] == ["2026-01", "2026-02"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("backtest", "{tmp}/nothing", "--workers", "0"),
         "punchcard: error: {tmp}/nothing/activity.json: cannot read: No such file or directory\n"),
        (("backtest", "{tmp}/activity", "--workers", "0", "--variant", "x:any_location=maybe"),
         "punchcard: error: any_location: must be true or false (on/off, yes/no, 1/0), got 'maybe'\n"),
        (("backtest", "{tmp}/activity", "--workers", "0", "--variant", "x:colour=red"),
         "punchcard: error: colour: not a choice; choose among ['any_location', 'any_type', "
         "'cancel_after_expiry', 'expires_at', 'expiry', 'greater_value', 'line_order', 'package_order', "
         "'refund_after_use', 'unused_at_renewal', 'valuation', 'zero_price_items']\n"),
        (("backtest", "{tmp}/activity", "--workers", "-1"),
         "punchcard: error: --workers: must be 0 or more, got -1\n"),
        (("sweep", "{tmp}/nothing", "--as-of", TIME, "--out", "{tmp}/o", "--workers", "0"),
         "punchcard: error: {tmp}/nothing/punchcard-ledger.json: cannot read: No such file or directory\n"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    population(tmp_path)
    code, out, err = _run(capsys, *(a.format(tmp=tmp_path) for a in args))
    assert (code, out, err) == (2, None, message.format(tmp=tmp_path))


def test_a_bad_time_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", "x", "--as-of", "tonight", "--out", "o"])
    assert exit_.value.code == 2
    assert (
        "argument --as-of: must be an ISO 8601 date-time (2026-06-01T06:00), got 'tonight'"
        in capsys.readouterr().err
    )
