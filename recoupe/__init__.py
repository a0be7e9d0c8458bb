"""Recoupe: a knowledge graph of linked public-safety incidents."""

__version__ = "0.1.0"
