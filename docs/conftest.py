"""The docs pages' examples run as written: no name is put in their namespace here, so every page
imports what it uses, as a reader who copies its code blocks in order into a file must.

(--doctest-modules would also import this file as a test module named "conftest", which clashes
with the other conftest.py: tests/ and docs/ are not packages. It holds no doctests.)
"""

from __future__ import annotations

collect_ignore = ["conftest.py"]
