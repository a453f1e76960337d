"""A stand-in for Nova's package in interop tests (python3-nova is not installed)."""
