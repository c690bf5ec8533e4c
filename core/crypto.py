"""Encryption of account tokens at rest, with key rotation (newest key first)."""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.errors import ConfigError


class TokenCipher:
    """Encrypts with the newest key and decrypts with any configured key."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigError("ENCRYPTION_KEYS is empty.", "Set at least one Fernet key.")
        try:
            self._fernets = [Fernet(k.encode()) for k in keys]
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                "ENCRYPTION_KEYS holds a malformed key.",
                "Each key must be 32 url-safe base64 bytes (Fernet.generate_key()).",
            ) from exc
        self._multi = MultiFernet(self._fernets)
        # A worker decrypts the same account's token for each post it publishes, and
        # Fernet's HMAC check and AES cost about 0.1 ms a time (7% of a post's CPU). Keyed
        # by the ciphertext: a reconnected or rotated token is a new entry.
        self._decrypted = functools.lru_cache(maxsize=1024)(self._decrypt)

    def encrypt(self, plain: str) -> str:
        return self._multi.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._decrypted(token)

    def _decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ConfigError(
                "A stored token cannot be decrypted with ENCRYPTION_KEYS.",
                "Keep old keys in ENCRYPTION_KEYS (after the new one) until rotation finishes.",
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the newest key."""
        return self._multi.rotate(token.encode()).decode()

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()
