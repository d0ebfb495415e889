"""RQ jobs, the outbox relay and the periodic schedule; jobs take ids and commit once."""
