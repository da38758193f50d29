"""ddor-watch wiring: CLI, config, one monitoring cycle, the daemon."""

__version__ = "0.1.0"
