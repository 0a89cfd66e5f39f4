"""What the test announces to the domains above it (the results feed listens).

Receivers run in the sender's transaction, so what they write commits or rolls
back with the grading itself. They are connected by the app's composition.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sender: the `Attempt` just (re)graded; its score is flushed.
attempt_graded = _signals.signal("attempt-graded")
