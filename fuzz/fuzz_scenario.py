"""An atheris fuzz target: scenario documents and ledger events from arbitrary bytes.

Run on demand (not in CI), seeded with the corpus beside it:
``pip install atheris && python fuzz/fuzz_scenario.py fuzz/corpus -max_total_time=120``.
The only outcomes allowed are a result, :class:`punchcard.ScenarioError` for a scenario, and the
ledger's :class:`punchcard.lifecycle.LedgerError` for an event; anything else is a crash that
atheris reports with the input that caused it.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports():
    from punchcard import ScenarioError
    from punchcard.lifecycle import LedgerError, event_from_dict
    from punchcard.scenario import evaluate, loads


def test_one_input(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        document = loads(text)
    except ScenarioError:
        return
    with contextlib.suppress(ScenarioError):
        evaluate(document)
    if isinstance(document, dict):
        with contextlib.suppress(LedgerError):
            event_from_dict(document)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
