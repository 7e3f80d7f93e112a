"""Departments and agents."""
