"""The hall server's certificate check: GET /verify (a page) and POST /api/verify-cert (JSON).

Anyone holding a printed 参保证明 — an employer, a bank, the citizen — scans its QR with a phone
(the QR opens this page with the payload in the URL fragment, which never reaches a server log),
types the serial and short code, or uploads a photo of the QR. The signature is checked with the
hall's public key; serial + code is checked against the hall's register of issued certificates.

Use: `app.include_router(verify_router(config))`.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Literal

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import HTMLResponse
from PIL import Image, UnidentifiedImageError

from onevisit.hall.pages import render
from onevisit.hall.schemas import VerifyRequest
from onevisit.records.issue import decode_qr
from onevisit.records.keys import key_id, signing_key
from onevisit.records.payload import Verdict, verify
from onevisit.records.register import CertificateRegister

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 8 * 1024 * 1024


def _bad(code: str, zh: str, en: str, status: int = 400) -> HTTPException:
    return HTTPException(status, {"code": code, "message_zh": zh, "message_en": en})


def verify_router(config, register: CertificateRegister | None = None) -> APIRouter:
    """The /verify routes over `register` (the hall server passes its own and closes it at
    shutdown; without one, the router opens `[records] certificates_db` for the process's life)."""
    router = APIRouter()
    public_key = signing_key(config).public_key()
    register = register or CertificateRegister(config.path(config.records.certificates_db))

    def with_register(verdict: Verdict) -> dict:
        out = verdict.to_dict()
        if verdict.valid and verdict.claims:
            row = register.get(verdict.claims.serial)
            out["registered"] = bool(row and row.get("code") == verdict.verification_code)
        return out

    def check(body: VerifyRequest) -> dict:
        if body.payload and body.payload.strip():
            return with_register(verify(body.payload, public_key))
        if body.serial and body.code:
            row = register.check_code(body.serial, body.code)
            if row is None:
                return {
                    "valid": False,
                    "code": "not_registered",
                    "reason_zh": "证明编号与验证码不匹配，或本大厅未签发该证明",
                    "reason_en": "No certificate with this serial and code was issued by this hall",
                }
            shown = {k: row[k] for k in ("serial", "id_masked", "name_masked", "since", "until", "issued_at")}
            return {
                "valid": True,
                "code": "registered",
                "reason_zh": "核验通过：本大厅签发过该证明",
                "reason_en": "Valid: this hall issued a certificate with this serial and code",
                "certificate": shown,
                "verification_code": row["code"],
                "registered": True,
            }
        raise _bad(
            "nothing_to_verify",
            "请输入二维码内容，或证明编号和验证码",
            "Give the QR text, or the serial number and verification code",
            422,
        )

    @router.post("/api/verify-cert")
    def api_verify(body: VerifyRequest) -> dict:
        return check(body)

    @router.post("/api/verify-cert/image")
    async def api_verify_image(file: UploadFile = File(...)) -> dict:  # noqa: B008 (FastAPI idiom)
        data = await file.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise _bad("image_too_large", "图片太大（最大8MB）", "The image is larger than 8 MB", 413)
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError):
            raise _bad(
                "not_an_image", "无法识别该图片，请上传照片或截图", "The file is not an image we can read"
            ) from None
        texts = decode_qr(image)
        if not texts:
            return {
                "valid": False,
                "code": "no_qr",
                "reason_zh": "图片中未识别到二维码，请拍清楚后重试",
                "reason_en": "No QR code could be read in the image; try a sharper photo",
            }
        verdicts = [verify(t, public_key) for t in texts]
        return with_register(next((v for v in verdicts if v.valid), verdicts[0]))

    @router.get("/verify", response_class=HTMLResponse)
    def verify_page(lang: Literal["zh", "en"] = Query("zh")) -> str:
        return _page(lang, config.hall.name if lang == "zh" else config.hall.name_en, key_id(public_key))

    return router


_TEXT = {
    "zh": {
        "title": "参保证明真伪核验",
        "lead": "扫描证明上的二维码会自动核验；也可以粘贴二维码内容，或输入证明编号和验证码。",
        "payload": "二维码内容",
        "serial": "证明编号",
        "code": "验证码",
        "or": "或",
        "image": "上传二维码照片",
        "check": "核验",
        "valid": "有效",
        "invalid": "无效",
        "fields": {
            "serial": "证明编号",
            "name": "姓名",
            "name_masked": "姓名",
            "id_masked": "身份证号",
            "since": "起始月份",
            "until": "截止月份",
            "issued_at": "打印时间",
            "verification_code": "验证码",
        },
        "switch": "English",
        "key": "本大厅证书公钥编号",
        "registered": "已在本大厅签发登记簿中找到",
        "unregistered": "签名有效，但本服务器的登记簿中没有该证明（可能由其他终端签发）",
        "error": "核验请求失败，请重试",
    },
    "en": {
        "title": "Check a 参保证明 certificate",
        "lead": "Scanning the certificate's QR code checks it at once; or paste the QR text, or type the serial number and verification code.",
        "payload": "QR text",
        "serial": "Serial number",
        "code": "Verification code",
        "or": "or",
        "image": "Upload a photo of the QR",
        "check": "Check",
        "valid": "VALID",
        "invalid": "INVALID",
        "fields": {
            "serial": "Serial",
            "name": "Name",
            "name_masked": "Name",
            "id_masked": "ID number",
            "since": "From",
            "until": "To",
            "issued_at": "Printed",
            "verification_code": "Verification code",
        },
        "switch": "中文",
        "key": "This hall's key id",
        "registered": "Found in this hall's register of issued certificates",
        "unregistered": "Signature valid, but this server's register has no such certificate (issued elsewhere?)",
        "error": "The check failed; please try again",
    },
}


def _page(lang: str, hall_name: str, kid: str) -> str:
    t = _TEXT[lang]
    words = {k: v for k, v in t.items() if isinstance(v, str)}
    return render(
        "verify.html",
        **words,
        lang=lang,
        html_lang="zh-CN" if lang == "zh" else "en",
        other="en" if lang == "zh" else "zh",
        hall_name=hall_name,
        kid=kid,
        # The script's words (verdicts, field labels) as JSON in an attribute: escaped like any value.
        texts=json.dumps(t, ensure_ascii=False),
    )
