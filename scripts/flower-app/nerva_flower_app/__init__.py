"""Flower App for Nerva's integration test."""
