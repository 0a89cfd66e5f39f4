"""The test's design: each activity's blueprint set against the bank's active questions."""
