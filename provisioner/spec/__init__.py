"""Spec stage: find and load YAML spec files, check them, build the desired model. No Azure."""
