"""What the final selection announces to the domains above it (the feeds listen).

Receivers run in the publishing transaction. They are connected by the app's
composition.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sender: the `Activity` whose result is published; keyword `data`: one
# candidate's published outcome, JSON-ready. Sent once per ranked candidate.
result_published = _signals.signal("result-published")
