"""Sync: the engine that runs a plan against the API into a store, its progress display, the
daemon's schedule, and the status report."""
