"""QR codes drawn as Kivy textures (ticket status, service guide, paper-out fallback)."""

from __future__ import annotations

import io

import qrcode
from kivy.core.image import Image as CoreImage


def qr_texture(data: str, box: int = 8):
    qr = qrcode.QRCode(border=2, box_size=box, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    texture = CoreImage(buffer, ext="png").texture
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    return texture
