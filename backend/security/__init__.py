"""Secrets: password hashes, API keys, signed session tokens and single sign-on tokens. Knows no database."""
