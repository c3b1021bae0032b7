"""Reconcile stage: read live state, diff it against the desired model, plan, render and apply."""
