"""Readers for the exports athletes already have."""
