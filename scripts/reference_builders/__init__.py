"""The builders of scripts/build_reference.py, by topic: NUTS code lists, the NUTS correspondence, NACE."""
