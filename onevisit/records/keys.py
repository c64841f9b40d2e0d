"""The hall's certificate signing key (Ed25519): made on first use, kept in the secrets folder.

The private key never leaves `security.secrets_dir` (git-ignored, file mode 600). Anyone holding
the public key — printed by `onevisit keys show` — can check a certificate offline.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from onevisit.core.errors import OneVisitError
from onevisit.core.secrets import load_or_create_key

log = logging.getLogger(__name__)

KEY_FILE = "certificate-signing.ed25519"


class SigningKeyError(OneVisitError):
    status = 500


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_strict(text: str) -> bytes:
    """Decode unpadded base64url, refusing any text that is not the one canonical encoding
    (otherwise the unused low bits of the last character could change without notice)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64u(data) != text:
        raise ValueError("not canonical base64url")
    return data


def secrets_dir(config) -> Path:
    return config.path(config.security.secrets_dir)


def signing_key(config) -> Ed25519PrivateKey:
    directory = secrets_dir(config)
    existed = (directory / KEY_FILE).exists()
    raw = load_or_create_key(directory, KEY_FILE, 32)
    if len(raw) != 32:
        raise SigningKeyError(
            "signing_key_corrupt",
            "证明签名密钥文件损坏，请联系技术人员",
            f"The certificate signing key {directory / KEY_FILE} is not 32 bytes; restore it from backup",
        )
    if not existed:
        log.warning("generated a new certificate signing key in %s", directory)
    return Ed25519PrivateKey.from_private_bytes(raw)


def hall_public_key(config) -> Ed25519PublicKey:
    """The public half of the hall's key, without creating one (verification must not mint keys)."""
    path = secrets_dir(config) / KEY_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(
            "no_public_key",
            "本机没有大厅的证明公钥，无法核验",
            f"No signing key at {path}: pass the hall's public key (onevisit keys show on the hall server)",
        ) from None
    return Ed25519PrivateKey.from_private_bytes(raw).public_key()


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """Eight hex digits naming the key; printed in each payload so a verifier can tell halls apart."""
    return hashlib.sha256(public_raw(key)).hexdigest()[:8]


def public_key_text(key: Ed25519PublicKey) -> str:
    return b64u(public_raw(key))


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key as `keys show` prints it: base64url (43 characters), 64 hex digits, or PEM."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("not an Ed25519 key")
            return key
        raw = bytes.fromhex(text) if re.fullmatch(r"[0-9a-fA-F]{64}", text) else b64u_strict(text)
        if len(raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise SigningKeyError(
            "bad_public_key", "公钥格式不正确", f"Not an Ed25519 public key: {exc}"
        ) from None
