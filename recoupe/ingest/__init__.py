"""Readers of logs, inventories and boundaries; validation; rejects; the ingestion pipeline."""
