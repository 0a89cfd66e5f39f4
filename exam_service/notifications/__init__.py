"""Notices to candidates (home page and mail): decisions, reminders, extra time, results."""
