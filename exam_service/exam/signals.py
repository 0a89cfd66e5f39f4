"""What the test announces to the domains above it (the results feed and mail listen).

Receivers run in the sender's transaction, so what they write commits or rolls
back with the grading or the extension itself. They are connected by the app's
composition.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sender: the `Attempt` just (re)graded; its score is flushed.
attempt_graded = _signals.signal("attempt-graded")

# Sender: the `Attempt` just given more time by an admin (`supervision.extend`), its new
# deadline flushed and the extension recorded; kwargs `seconds` (int, this extension)
# and `reason` (str, the admin's reason). For telling the candidate (a mail); the open
# test page learns the new deadline by itself within its poll interval.
time_extended = _signals.signal("time-extended")

# Sender: the timed-out `Attempt` just given back its unused time by an admin
# (`supervision.reopen`), in progress again with its new deadline flushed; kwargs
# `seconds` (int, the time given back) and `reason` (str). For telling the candidate.
attempt_reopened = _signals.signal("attempt-reopened")
