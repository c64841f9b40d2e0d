"""The hall server's certificate check: GET /verify (a page) and POST /api/verify-cert (JSON).

Anyone holding a printed 参保证明 — an employer, a bank, the citizen — scans its QR with a phone
(the QR opens this page with the payload in the URL fragment, which never reaches a server log),
types the serial and short code, or uploads a photo of the QR. The signature is checked with the
hall's public key; serial + code is checked against the hall's register of issued certificates.

Use: `app.include_router(verify_router(config))`.
"""

from __future__ import annotations

import io
import logging
from typing import Literal

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import HTMLResponse
from PIL import Image, UnidentifiedImageError

from onevisit.hall.schemas import VerifyRequest
from onevisit.records.issue import decode_qr
from onevisit.records.keys import key_id, signing_key
from onevisit.records.payload import Verdict, verify
from onevisit.records.register import CertificateRegister

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 8 * 1024 * 1024


def _bad(code: str, zh: str, en: str, status: int = 400) -> HTTPException:
    return HTTPException(status, {"code": code, "message_zh": zh, "message_en": en})


def verify_router(config) -> APIRouter:
    router = APIRouter()
    public_key = signing_key(config).public_key()
    register = CertificateRegister(config.path(config.records.certificates_db))

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
    import json

    t = _TEXT[lang]
    other = "en" if lang == "zh" else "zh"
    return f"""<!doctype html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t["title"]} · {hall_name}</title>
<style>
body {{ font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; margin: 0; background: #f3f5f7; color: #1b1f23; }}
header {{ background: #1a4f8b; color: #fff; padding: 14px 20px; display: flex; justify-content: space-between; align-items: center; }}
header a {{ color: #fff; }}
main {{ max-width: 720px; margin: 20px auto; background: #fff; padding: 20px 24px; border-radius: 6px; }}
label {{ display: block; margin: 12px 0 4px; font-weight: bold; }}
textarea, input[type=text] {{ width: 100%; box-sizing: border-box; font-size: 16px; padding: 8px; }}
.row {{ display: flex; gap: 12px; }} .row > div {{ flex: 1; }}
button {{ margin-top: 14px; font-size: 18px; padding: 8px 28px; background: #1a4f8b; color: #fff; border: 0; border-radius: 4px; }}
#result {{ margin-top: 20px; padding: 14px; border-radius: 6px; display: none; }}
#result.ok {{ display: block; background: #e6f4ea; border: 2px solid #1e7b34; }}
#result.bad {{ display: block; background: #fdecea; border: 2px solid #b3261e; }}
#verdict {{ font-size: 26px; font-weight: bold; }}
table {{ margin-top: 8px; border-collapse: collapse; }} td {{ padding: 3px 12px 3px 0; }}
small {{ color: #555; }}
</style></head>
<body>
<header><span>{hall_name} · {t["title"]}</span><a href="?lang={other}" id="switch">{t["switch"]}</a></header>
<main>
<p>{t["lead"]}</p>
<form id="form">
<label for="payload">{t["payload"]}</label>
<textarea id="payload" name="payload" rows="3" autofocus></textarea>
<p>{t["or"]}</p>
<div class="row">
<div><label for="serial">{t["serial"]}</label><input type="text" id="serial" name="serial" autocomplete="off"></div>
<div><label for="code">{t["code"]}</label><input type="text" id="code" name="code" autocomplete="off"></div>
</div>
<label for="image">{t["image"]}</label>
<input type="file" id="image" accept="image/*" capture="environment">
<div><button type="submit">{t["check"]}</button></div>
</form>
<div id="result"><div id="verdict"></div><div id="reason"></div><table id="fields"></table><small id="reg"></small></div>
<p><small>{t["key"]}: {kid}</small></p>
</main>
<script>
const T = {json.dumps(t, ensure_ascii=False)};
const LANG = "{lang}";
function show(r) {{
  const box = document.getElementById("result");
  box.className = r.valid ? "ok" : "bad";
  document.getElementById("verdict").textContent = r.valid ? T.valid : T.invalid;
  document.getElementById("reason").textContent = LANG === "zh" ? r.reason_zh : r.reason_en;
  const table = document.getElementById("fields"); table.innerHTML = "";
  const c = r.certificate || {{}};
  if (r.verification_code) c.verification_code = r.verification_code;
  for (const [k, label] of Object.entries(T.fields)) {{
    if (c[k] === undefined || c[k] === null) continue;
    const tr = table.insertRow(); tr.insertCell().textContent = label; tr.insertCell().textContent = c[k];
  }}
  document.getElementById("reg").textContent = r.registered === undefined ? "" : (r.registered ? T.registered : T.unregistered);
}}
async function post(url, opts) {{
  try {{
    const res = await fetch(url, opts); const body = await res.json();
    if (!res.ok) {{ const d = body.detail || {{}}; show({{valid: false, reason_zh: d.message_zh || T.error, reason_en: d.message_en || T.error}}); return; }}
    show(body);
  }} catch (e) {{ show({{valid: false, reason_zh: T.error, reason_en: T.error}}); }}
}}
document.getElementById("form").addEventListener("submit", (ev) => {{
  ev.preventDefault();
  const file = document.getElementById("image").files[0];
  if (file) {{ const fd = new FormData(); fd.append("file", file); post("/api/verify-cert/image", {{method: "POST", body: fd}}); return; }}
  const body = {{payload: document.getElementById("payload").value || null,
                serial: document.getElementById("serial").value || null,
                code: document.getElementById("code").value || null}};
  post("/api/verify-cert", {{method: "POST", headers: {{"Content-Type": "application/json"}}, body: JSON.stringify(body)}});
}});
document.getElementById("switch").href += location.hash;
const m = location.hash.match(/[#&]p=([^&]+)/);
if (m) {{ document.getElementById("payload").value = decodeURIComponent(m[1]); document.getElementById("form").requestSubmit(); }}
</script>
</body></html>"""
