"""The signed payload in a certificate's QR code, and its offline verification.

Format: `OV1.<claims>.<signature>`, both parts unpadded base64url (so the QR holds only ASCII
and any scanner reads it byte for byte); claims is compact JSON; the signature is Ed25519 over
the text `OV1.<claims>`. The QR itself carries `<public_url>/verify#p=<payload>` so a phone
opens the verify page; the fragment never reaches a server log. Decoding is strict: any changed
character, including the unused bits of the last base64 character, fails verification.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from onevisit.core.typed import clean
from onevisit.records.keys import b64u, b64u_strict, key_id

VERSION = "OV1"
_TOKEN = re.compile(r"OV1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_MONTH = r"\d{4}-(0[1-9]|1[0-2])"


@dataclass(frozen=True)
class Claims:
    """What the QR vouches for: enough to match the paper in hand against the hall's signature."""

    serial: str
    id_masked: str
    name: str
    since: str  # YYYY-MM
    until: str  # YYYY-MM
    digest: str  # SHA-256 of the certificate's tables, hex
    issued_at: str  # YYYY-MM-DDTHH:MM, hall time
    key: str  # key id of the signing key

    def to_json(self) -> bytes:
        compact = {
            "s": self.serial,
            "i": self.id_masked,
            "n": self.name,
            "f": self.since,
            "u": self.until,
            "d": self.digest,
            "t": self.issued_at,
            "k": self.key,
        }
        return json.dumps(compact, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Claims:
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict) or set(raw) != {"s", "i", "n", "f", "u", "d", "t", "k"}:
            raise ValueError("unexpected fields")
        claims = cls(
            serial=raw["s"],
            id_masked=raw["i"],
            name=raw["n"],
            since=raw["f"],
            until=raw["u"],
            digest=raw["d"],
            issued_at=raw["t"],
            key=raw["k"],
        )
        if not all(isinstance(v, str) for v in asdict(claims).values()):
            raise ValueError("fields must be text")
        if not (re.fullmatch(_MONTH, claims.since) and re.fullmatch(_MONTH, claims.until)):
            raise ValueError("bad month range")
        if not re.fullmatch(r"[0-9a-f]{64}", claims.digest):
            raise ValueError("bad digest")
        return claims


def verification_code(signature: bytes) -> str:
    """Eight base32 characters from the signature (ABCD-EFGH): short enough to read on the phone,
    tied to this very certificate, checked against the hall's register of issued certificates."""
    code = base64.b32encode(hashlib.sha256(signature).digest()).decode("ascii")[:8]
    return f"{code[:4]}-{code[4:]}"


def normalise_code(text: str) -> str:
    """A verification code as typed: NFKC (full-width ＡＢ１ from an input method), spaces and
    dashes dropped, upper case, and the digits people read for look-alike letters (0→O, 1→I, 8→B)."""
    cleaned = re.sub(r"[\s\-]", "", clean(text).upper()).replace("0", "O").replace("1", "I").replace("8", "B")
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else cleaned


def sign(claims: Claims, key: Ed25519PrivateKey) -> tuple[str, str]:
    """(payload, verification code) for the claims."""
    signed = f"{VERSION}.{b64u(claims.to_json())}"
    signature = key.sign(signed.encode("ascii"))
    return f"{signed}.{b64u(signature)}", verification_code(signature)


@dataclass(frozen=True)
class Verdict:
    valid: bool
    code: str  # "valid", or why not
    reason_zh: str
    reason_en: str
    claims: Claims | None = None
    verification_code: str = ""

    def to_dict(self) -> dict:
        out = {
            "valid": self.valid,
            "code": self.code,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
        }
        if self.claims:
            out["certificate"] = asdict(self.claims)
            out["verification_code"] = self.verification_code
        return out


def extract_payload(text: str) -> str:
    """The payload from what a scanner or a person gives: the bare token or the verify URL."""
    text = (text or "").strip()
    match = re.search(r"[#?&]p=([^&#\s]+)", text)
    return match.group(1) if match else text


def _invalid(code: str, zh: str, en: str, claims: Claims | None = None) -> Verdict:
    return Verdict(False, code, zh, en, claims)


def verify(text: str, public_key: Ed25519PublicKey) -> Verdict:
    """Check a payload offline against the hall's public key; the verdict says why it fails."""
    token = extract_payload(text)
    if not token:
        return _invalid("empty", "未输入核验内容", "Nothing to verify was given")
    if not _TOKEN.fullmatch(token):
        return _invalid(
            "malformed",
            "不是本系统的参保证明二维码内容",
            "This is not a OneVisit certificate payload (expected OV1.<claims>.<signature>)",
        )
    version, body, sig_text = token.split(".")
    try:
        claims_bytes = b64u_strict(body)
        signature = b64u_strict(sig_text)
    except ValueError:
        return _invalid(
            "malformed",
            "二维码内容编码有误，可能被改动",
            "The payload is not validly encoded; it may have been altered",
        )
    if len(signature) != 64:
        return _invalid(
            "malformed",
            "签名长度不正确，内容可能被改动",
            "The signature has the wrong length; the payload was altered",
        )
    try:
        claims: Claims | None = Claims.from_json(claims_bytes)
    except (ValueError, UnicodeDecodeError, KeyError):
        claims = None
    try:
        public_key.verify(signature, f"{version}.{body}".encode("ascii"))
    except InvalidSignature:
        if claims is not None and claims.key != key_id(public_key):
            return _invalid(
                "wrong_key",
                "签名不是本大厅的密钥签发，无法确认真伪",
                f"Not signed with this hall's key (signed by key {claims.key}, this hall is {key_id(public_key)})",
            )
        return _invalid(
            "bad_signature",
            "签名核验未通过：证明内容被改动或为伪造",
            "The signature does not match: the certificate was altered or forged",
        )
    if claims is None:
        return _invalid("bad_content", "证明内容无法识别", "The signed content is not a certificate")
    return Verdict(
        True,
        "valid",
        "核验通过：本证明由本大厅签发，内容未被改动",
        "Valid: issued by this hall and unaltered",
        claims,
        verification_code(signature),
    )
