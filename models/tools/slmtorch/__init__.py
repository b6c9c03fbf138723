"""Shared torch helpers for the model tools (run with Debian's /usr/bin/python3 and python3-torch 1.13)."""
