"""followup: keeps your relationships from going quiet by accident."""

__version__ = "0.1.0"
