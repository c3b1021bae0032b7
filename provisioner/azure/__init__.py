"""The Azure boundary: SDK clients, pipeline policies, errors, settings, per-kind SDK mappings."""
