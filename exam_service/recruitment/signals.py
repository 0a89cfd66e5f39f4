"""What recruitment asks of the domains above it, without importing them.

Recruitment sits below scheduling and the test itself, yet two of its rules
depend on them: a decision is final once the candidate booked a session, and
the shape of an activity's test is frozen once a form was drawn. Recruitment
sends a signal before such a change; a receiver that knows better raises the
refusal (a `ServiceError`), which reaches the caller unchanged. After a decision
it tells whoever listens (`decided`: the candidate's notifications). Receivers are
connected by the app's composition (`exam_service.create_app`).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sender: the `Application` about to be decided (its row is locked).
deciding = _signals.signal("application-deciding")

# Sender: the `Activity` whose blueprint or question count is about to change.
form_shape_changing = _signals.signal("activity-form-shape-changing")

# Sender: the `Application` just decided (accepted or rejected), flushed, in the
# decision's transaction; the notifications tell the candidate.
decided = _signals.signal("application-decided")
