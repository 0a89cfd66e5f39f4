"""The applicant's way through a recruitment (timeline, overview, the admin's file)."""
