"""Deadlines: the working calendar API, official schedules, the sweeper and reliable SMS."""
