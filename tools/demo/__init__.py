"""The generator of the bundled demo data (``followup/demo/data``): see ``generate``."""
