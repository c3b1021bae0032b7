"""Per-kind export behaviour: how each kind's model becomes its spec entry."""
