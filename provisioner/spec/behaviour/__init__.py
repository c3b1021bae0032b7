"""Per-kind spec behaviour: how each kind's entries become the model, and their checks."""
