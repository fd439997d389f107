"""The fault suite's machinery: a private PostgreSQL cluster, Casebook served on it by
its own entrypoint, and clients that sign in and record cases as people do."""
