"""Export stage: read what Azure holds and write it as spec files."""
