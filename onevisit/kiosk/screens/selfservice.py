"""Self-service screens: the 参保证明 certificate, my records, face certification.

Certificates and records come from onevisit.records (the records backend and certificate
rendering). Where a part is missing on this kiosk (no backend, no verifier, no camera) the screen
says plainly that the service is not available and offers a ticket for a window, tagged with the
reason, instead of showing invented data.
"""

from __future__ import annotations

import io
import logging

from kivy.core.image import Image as CoreImage
from kivy.metrics import dp
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import mask_name
from onevisit.kiosk import selfservice_report as ss
from onevisit.kiosk.screens.common import Card, KButton, KioskScreen

log = logging.getLogger(__name__)


def pil_texture(image):
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    buffer.seek(0)
    return CoreImage(buffer, ext="png").texture


class CertificateScreen(KioskScreen):
    title_key = "cert.title"
    RANGES = ("12", "36", "all")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.wipe_state()

    def wipe_state(self) -> None:
        self.choice = "12"
        self.issued = None
        self.error: OneVisitError | None = None
        self.print_state: str | None = None  # None | printing | printed | failed
        self.pdf: bytes | None = None  # the A4 document when this kiosk has a document printer
        self.final = None  # the numbered certificate, once 打印 was pressed (a retry reprints it)
        self.print_error: str = ""

    def wipe(self) -> None:
        self.wipe_state()
        self.dirty = True

    def build_body(self, body):
        app = self.app
        if app.devices.records is None:
            self.unavailable(body, "unavailable.certificate", offer_ticket="certificate_unavailable")
            return
        if app.session.id_number is None:
            body.add_widget(self.label(app.t("identify.title"), role="title", tone="danger"))
            return
        body.add_widget(self.label(app.t("cert.range"), role="title", bold=True))
        row = BoxLayout(spacing=dp(14), size_hint_y=None, height=app.bh())
        for choice in self.RANGES:
            b = KButton(
                text=app.t(f"cert.range.{choice}"), kind="selected" if choice == self.choice else "secondary"
            )
            b.bind(on_release=lambda _w, c=choice: self.choose(c))
            row.add_widget(b)
        body.add_widget(row)
        if self.error is not None:
            for lbl in self.error_labels(self.error):
                body.add_widget(lbl)
            body.add_widget(
                self.button(
                    app.t("cert.to_window"),
                    lambda: app.take_number_for_window(
                        f"certificate:{self.error.code}", why=(self.error.zh, self.error.en)
                    ),
                )
            )
            return
        if self.issued is None:
            body.add_widget(self.button(app.t("cert.preview"), self.preview, kind="secondary"))
            return
        page = self.issued.pages[0]
        card = Card()
        printed = self.print_state == "printed"
        card.add_widget(
            self.label(
                app.t("cert.serial", serial=self.issued.certificate.serial)
                if printed
                else app.t("cert.preview.note"),
                tone="muted",
                align="center",
            )
        )
        holder = AnchorLayout(size_hint_y=None, height=dp(900 if not app.landscape else 560))
        img = Image(texture=pil_texture(page), fit_mode="contain")
        holder.add_widget(img)
        card.add_widget(holder)
        if len(self.issued.pages) > 1:
            card.add_widget(
                self.label(
                    app.t("cert.pages", n=len(self.issued.pages)), role="small", tone="muted", align="center"
                )
            )
        self.view_button = self.button(app.t("cert.full_view"), self.open_viewer, kind="secondary")
        card.add_widget(self.view_button)
        body.add_widget(card)
        if self.print_state == "failed":
            self.footer.add_widget(
                self.label(app.t("cert.failed", reason=self.print_error), tone="danger", bold=True)
            )
            self.footer.add_widget(
                self.button(
                    app.t("cert.to_window"), lambda: app.take_number_for_window("certificate:print_failed")
                )
            )
        elif self.print_state == "printed":
            done = "cert.printed" if app.devices.documents is not None else "cert.print.done"
            self.footer.add_widget(
                self.label(app.t(done), role="title", tone="ok", align="center", bold=True)
            )
        elif self.print_state == "printing":
            self.footer.add_widget(self.label(app.t("cert.printing"), role="title", align="center"))
        else:
            b = self.button(app.t("cert.print"), self.print_certificate)
            b.disabled = self.print_state == "printing"
            self.footer.add_widget(b)

    def choose(self, choice: str) -> None:
        if choice != self.choice:
            self.choice = choice
            self.issued, self.error, self.print_state, self.pdf = None, None, None, None
            self.final = None
        self.refresh()

    def open_viewer(self) -> None:
        """Every page full screen, zoomable (PageViewer)."""
        from onevisit.kiosk.screens.page_viewer import PageViewer

        self.viewer = PageViewer(self.issued.pages, pil_texture)
        self.viewer.open()

    def preview(self) -> None:
        app = self.app
        from onevisit.records.issue import issue_certificate

        config = app.config_
        number = app.session.id_number
        choice = self.choice
        now = app.now()  # hall time: the certificate's 打印时间 and serial day

        def work(_key: str):
            problem = config.hall.public_url_problem
            if problem:
                # The QR and the text would send a bank or a school to an address they cannot reach.
                log.warning("certificates refused: %s", problem)
                raise OneVisitError(
                    "public_url_unset",
                    "本机证明核验地址未设置，暂不能自助打印参保证明，请取号到窗口办理",
                    "This kiosk's verification address is not set; certificates cannot be printed here,"
                    " please take a number for a window",
                )
            # a preview reserves no serial and signs nothing: only what is printed is numbered
            return issue_certificate(config, app.devices.records, number, choice, now, preview=True)

        def done(issued):
            self.issued, self.error = issued, None
            self.refresh()

        def fail(error):
            self.error = error
            self.refresh()

        # a double tap reads the records once
        app.act("cert-preview", choice, work, done, fail)

    def print_certificate(self) -> None:
        app = self.app
        from onevisit.records.issue import issue_certificate
        from onevisit.records.register import CertificateRegister

        config = app.config_
        number, choice = app.session.id_number, self.choice
        documents = app.devices.documents
        preview_digest = self.issued.certificate.digest
        self.print_state = "printing"
        self.refresh()

        def work(_key: str):
            register = CertificateRegister(config.path(config.records.certificates_db))
            # numbered, signed and registered at the first press of 打印 (the preview was not); a
            # retry after a failure prints that same certificate, never a second serial
            issued = self.final or issue_certificate(
                config, app.devices.records, number, choice, app.now(), register=register
            )
            self.final = issued
            if documents is not None:
                # A4 through CUPS: "正在打印…" until CUPS says completed; a retry of this serial asks
                # CUPS about the job already sent before sending anything (never printed twice).
                from onevisit.records.a4 import render_a4_pdf
                from onevisit.records.documents import print_certificate_document

                self.pdf = self.pdf or render_a4_pdf(
                    issued.certificate, config.hall.timezone, config.printer.font
                )
                docs = config.documents
                print_certificate_document(
                    documents,
                    register,
                    issued.certificate.serial,
                    self.pdf,
                    timeout=docs.job_timeout_seconds,
                    poll=docs.poll_seconds,
                )
                return issued, ("printed", "")
            outcome = app.devices.printer.print_pages(issued.pages, ref=issued.certificate.serial)
            register.set_status(issued.certificate.serial, "printed" if outcome.ok else "print_failed")
            state = (
                ("printed", "") if outcome.ok else ("failed", outcome.zh if app.lang == "zh" else outcome.en)
            )
            return issued, state

        def done(result):
            issued, (self.print_state, self.print_error) = result
            self.issued = issued  # the printed pages, with their serial and QR
            log.info("certificate %s: %s", issued.certificate.serial, self.print_state)
            if self.print_state == "printed":
                app.report(ss.CERTIFICATE_PRINTED, range=self.choice, serial=issued.certificate.serial)
            self.refresh()

        def fail(error):
            # refused before printing (records down meanwhile): the preview stays on screen
            self.print_state, self.print_error = "failed", error.zh if app.lang == "zh" else error.en
            self.refresh()

        # one signed 参保证明 on paper per press, however often the button is tapped
        app.act(
            "cert-print", (choice, preview_digest), work, done, fail,
            settled=lambda result: result[1][0] == "printed",
        )  # fmt: skip


class RecordsScreen(KioskScreen):
    title_key = "records.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.data = None
        self.error: OneVisitError | None = None

    def wipe(self) -> None:
        self.data, self.error = None, None
        self.dirty = True

    def on_pre_enter(self, *args):
        app = self.app
        if app.devices.records is not None and app.session.id_number is not None and self.data is None:
            self.load()
        super().on_pre_enter(*args)

    def load(self) -> None:
        app = self.app
        backend = app.devices.records
        number = app.session.id_number

        def work(_key: str):
            person = backend.find_person(number)
            enrollments = backend.enrollments(number)
            contributions = backend.contributions(number)[-90:]  # rows are per insurance and month
            return person, enrollments, contributions

        def done(data):
            self.data = data
            app.report(ss.RECORDS_QUERIED, contributions=len(data[2]))
            self.refresh()

        def fail(error):
            self.error = error
            self.refresh()

        # one query (and one statistics report) per visit to the screen's tile, however tapped
        app.act("records", "query", work, done, fail)

    def build_body(self, body):
        app = self.app
        if app.devices.records is None:
            self.unavailable(body, "unavailable.records", offer_ticket="records_unavailable")
            return
        if self.error is not None:
            for lbl in self.error_labels(self.error):
                body.add_widget(lbl)
            body.add_widget(
                self.button(
                    app.t("unavailable.take_instead"),
                    lambda: app.take_number_for_window(
                        f"records:{self.error.code}", why=(self.error.zh, self.error.en)
                    ),
                )
            )
            return
        if self.data is None:
            body.add_widget(self.label(app.t("take.working"), role="title", align="center"))
            return
        from onevisit.records.backend import INSURANCE_TYPES

        person, enrollments, contributions = self.data
        who = Card()
        who.add_widget(self.label(f"{mask_name(person.name)}  {person.gender}", role="title", bold=True))
        who.add_widget(self.label(person.id_masked, tone="muted"))
        body.add_widget(who)
        card = Card()
        card.add_widget(self.label(app.t("records.enrollment"), role="title", bold=True))
        for e in enrollments:
            zh, en = INSURANCE_TYPES.get(e.insurance, (e.insurance, e.insurance))
            name = zh if app.lang == "zh" else en
            months = f"{e.paid_months}个月" if app.lang == "zh" else f"{e.paid_months} months"
            card.add_widget(
                self.label(
                    f"{name}：{e.status}，{months}" if app.lang == "zh" else f"{name}: {e.status}, {months}"
                )
            )
        body.add_widget(card)
        table = Card()
        table.add_widget(self.label(app.t("records.contributions"), role="title", bold=True))
        by_month: dict[str, list] = {}
        for c in contributions:
            by_month.setdefault(c.month, []).append(c)
        for month in sorted(by_month)[-6:][::-1]:
            rows = by_month[month]
            personal = sum(r.personal_amount for r in rows)
            employer = sum(r.employer_amount for r in rows)
            unpaid = any(not r.paid for r in rows)
            if app.lang == "zh":
                text = f"{month}  个人 {personal:.2f} 元  单位 {employer:.2f} 元" + (
                    "  欠缴" if unpaid else ""
                )
            else:
                text = f"{month}  personal {personal:.2f}  employer {employer:.2f} yuan" + (
                    "  UNPAID" if unpaid else ""
                )
            table.add_widget(self.label(text, tone="danger" if unpaid else "text"))
        body.add_widget(table)
