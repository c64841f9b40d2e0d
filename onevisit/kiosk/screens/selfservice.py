"""Self-service screens that need the records backend, certificate rendering and face verification.

Those parts are built on their own branches; until the kiosk is given a backend or verifier these
screens say plainly that the service is not available and offer a ticket for a window, tagged with
the reason, instead of showing invented data.
"""

from __future__ import annotations

from onevisit.kiosk.screens.common import KioskScreen


class CertificateScreen(KioskScreen):
    title_key = "cert.title"

    def build_body(self, body):
        if self.app.devices.records is None:
            self.unavailable(body, "unavailable.certificate", offer_ticket="certificate_unavailable")


class RecordsScreen(KioskScreen):
    title_key = "records.title"

    def build_body(self, body):
        if self.app.devices.records is None:
            self.unavailable(body, "unavailable.records", offer_ticket="records_unavailable")


class FaceScreen(KioskScreen):
    title_key = "face.title"

    def build_body(self, body):
        app = self.app
        if not app.devices.camera_url:
            self.unavailable(body, "unavailable.camera", offer_ticket="face_no_camera")
        elif app.devices.verification is None:
            self.unavailable(body, "unavailable.face", offer_ticket="face_unavailable")


class AppointmentScreen(KioskScreen):
    title_key = "appointment.title"

    def build_body(self, body):
        self.unavailable(body, "unavailable.appointment")
        body.add_widget(self.button(self.app.t("home.take"), lambda: self.app.go("take")))
