"""Timed jobs and the one scheduler that runs them: snapshots, the dashboard's refresh,
drafts' expiry, the auditor's "Verify now".

Owns `schedule` (each job and when it is due) and `runner` (runs what is due, once
per job and slot, each run and failure in the access log). `manage.py casebook_jobs`
runs it from cron, a systemd timer or its own loop. May import: aggregates,
audit, cases, models, db.
"""
