"""Decides and notifies: diff, rules, summary, alerts (pure), rendering, delivery, health."""
