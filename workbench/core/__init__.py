"""Shared foundations: errors, settings, hashing. Imports nothing heavy and no other subpackage."""
