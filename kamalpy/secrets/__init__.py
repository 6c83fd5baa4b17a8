"""Encrypted secrets store: format, crypto (pure bytes in/out), identities, editing."""
