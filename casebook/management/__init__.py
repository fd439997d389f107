"""Operators' commands (`python manage.py ...`) and the synthetic demo data."""
