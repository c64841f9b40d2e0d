"""刷脸认证: the pension qualification check at the kiosk camera.

Instructions with the live picture, then the real verification flow (onevisit.verification) on
its own thread: the action prompt in big text and spoken, which attempt and which action, the
picture kept live. A pass shows "certified until" and can print a receipt; after the last failed
attempt one button takes a number for a window, tagged with the reason the flow gave.
"""

from __future__ import annotations

import logging

from kivy.clock import Clock
from kivy.metrics import dp
from kivy.uix.anchorlayout import AnchorLayout

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import mask_name
from onevisit.kiosk import selfservice_report as ss
from onevisit.kiosk.actions import ActionLog, ActionRun
from onevisit.kiosk.face import CameraPreview, FaceRun
from onevisit.kiosk.screens.camera_view import CameraView
from onevisit.kiosk.screens.common import Card, KButton, KioskScreen
from onevisit.verification.flow import reason_text

log = logging.getLogger(__name__)


#: how a run ends when the citizen leaves mid-check: a later press of 开始认证 starts afresh
CANCELLED = OneVisitError("face_cancelled", "认证已中止", "certification stopped")


class FaceScreen(KioskScreen):
    title_key = "face.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.run: FaceRun | None = None
        self.preview: CameraPreview | None = None
        self.view: CameraView | None = None
        self.result = None
        self.error: OneVisitError | None = None
        self.receipt: str | None = None  # None | printing | printed | failed: reason
        self._tick_event = None
        # the masked ID whose records were asked "is a check due?" (None: not yet asked)
        self.settled_for: str | None = None
        self.asking = False  # that question is on its way
        self._action: ActionRun | None = None  # the press of 开始认证 this run belongs to

    # ---- lifecycle -------------------------------------------------------------------------------
    def wipe(self) -> None:
        self.stop_all()
        self.result, self.error, self.receipt = None, None, None
        self.settled_for = None
        self.dirty = True

    def on_pre_enter(self, *args):
        super().on_pre_enter(*args)
        self._ask_records()
        if self.run is None and self.result is None and self.error is None:
            self.app.speak("voice.face_start")

    def _ask_records(self) -> None:
        """Right after identification, before any camera step: a pensioner already certified is
        told "无需认证（有效期至…）" at once (flow.settled_before_camera)."""
        app = self.app
        number = app.session.id_number
        if number is None or self.certifier is None or self.settled_for == number.masked:
            return
        if self.run is not None or self.result is not None or self.error is not None:
            return
        self.settled_for = number.masked
        self.asking = True

        def done(result) -> None:
            self.asking = False
            if app.session.id_number is not number:
                return  # another citizen by now
            self.result = result
            self.refresh()

        def fail(error: OneVisitError) -> None:
            self.asking = False
            if app.session.id_number is not number:
                return
            self.error = error
            self.refresh()

        app.run_bg(lambda: self.certifier.settled(number), done, fail)

    def on_leave(self, *args):
        self.stop_all()

    def stop_all(self) -> None:
        if self.run is not None:
            self.run.cancel()
            self._release(self.run)
            self.run = None
        self._end_action(None, CANCELLED)
        self._stop_preview()

    def _end_action(self, result, error: OneVisitError | None) -> None:
        action, self._action = self._action, None
        if action is None:
            return
        if error is None:
            ActionLog.succeeded(action, result, self.app.monotonic())
        else:
            ActionLog.failed(action, error, self.app.monotonic())

    def _stop_preview(self) -> None:
        if self.preview is not None:
            self.preview.stop()
            self.preview = None
        if self.view is not None:
            self.view.stop()
            self.view = None
        if self._tick_event is not None:
            self._tick_event.cancel()
            self._tick_event = None

    def _release(self, run: FaceRun) -> None:
        """The app's busy count drops once per run, whether it finished or was cancelled."""
        if not getattr(run, "released", False):
            run.released = True
            self.app.busy -= 1

    @property
    def certifier(self):
        return self.app.devices.verification

    # ---- building ----------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.view is not None:
            self.view.stop()
            self.view = None
        super().refresh()

    def build_body(self, body):
        app = self.app
        if not app.devices.camera_url:
            self.unavailable(body, "unavailable.camera", offer_ticket="face_no_camera")
            return
        if self.certifier is None:
            self.unavailable(body, "unavailable.face", offer_ticket="face_unavailable")
            return
        if app.session.id_number is None:
            body.add_widget(self.label(app.t("identify.title"), role="title", tone="danger"))
            return
        if self.result is not None:
            self._build_result(body)
        elif self.error is not None:
            self._build_error(body)
        elif self.run is not None:
            self._build_running(body)
        elif self.asking or self.settled_for != app.session.id_number.masked:
            # the records are being asked whether a check is due: no camera until they answer
            body.add_widget(self.label(app.t("face.checking"), role="title", align="center"))
        else:
            self._build_intro(body)

    def _camera_holder(self, source_fn) -> AnchorLayout:
        app = self.app
        height = dp(560 if self.landscape else 720) * (1.0 if not app.elderly or not self.landscape else 0.9)
        holder = AnchorLayout(size_hint_y=None, height=height)
        self.view = CameraView(source_fn)
        holder.add_widget(self.view)
        return holder

    def _build_intro(self, body) -> None:
        app = self.app
        if self.preview is None:
            self.preview = CameraPreview(self.certifier.open_camera).start()
        body.add_widget(self._camera_holder(self.preview.latest_frame))
        card = Card()
        card.add_widget(self.label(app.t("face.how"), role="title", bold=True))
        for i in (1, 2, 3):
            # a full-width mark: a space after "1." lets Chinese text wrap away from its number
            card.add_widget(self.label((f"{i}．" if app.lang == "zh" else f"{i}. ") + app.t(f"face.how.{i}")))
        target = self.footer if self.landscape else body
        target.add_widget(card)
        start = KButton(text=app.t("face.start"), hfactor=1.3, role="title")
        start.bind(on_release=lambda *_: self.start())
        self.start_button = start
        self.footer.add_widget(start)
        self._ensure_tick()

    def _build_running(self, body) -> None:
        app = self.app
        body.add_widget(self._camera_holder(self.run.latest_frame))
        card = Card()
        self.prompt_label = self.label("", role="huge", tone="accent", align="center", bold=True)
        self.prompt_label.font_size = app.fs("title") * 1.6
        card.add_widget(self.prompt_label)
        self.prompt_other = self.label("", role="small", tone="muted", align="center")
        card.add_widget(self.prompt_other)
        self.progress_label = self.label("", role="title", align="center")
        card.add_widget(self.progress_label)
        self.failed_label = self.label("", tone="danger", align="center", bold=True)
        card.add_widget(self.failed_label)
        # next to the picture: right under it in portrait; in landscape the footer is the column
        # beside it (KioskScreen.arrange)
        (self.footer if self.landscape else body).add_widget(card)
        self._ensure_tick()
        self._tick()

    def _build_result(self, body) -> None:
        app = self.app
        result = self.result
        zh, en = result.message
        card = Card()
        if result.outcome == "passed":
            card.add_widget(
                self.label(app.t("face.passed"), role="huge", tone="ok", align="center", bold=True)
            )
            card.children[0].font_size = app.fs("title") * 1.6
            card.add_widget(
                self.label(
                    app.t("face.until", date=result.certified_until), role="title", align="center", bold=True
                )
            )
        else:
            tone = "danger" if result.outcome == "failed" else "text"
            card.add_widget(
                self.label(zh if app.lang == "zh" else en, role="title", tone=tone, align="center", bold=True)
            )
            if app.lang != "zh":  # a Chinese reader gets one language (KioskScreen.error_labels)
                card.add_widget(self.label(zh, role="small", tone=tone, align="center"))
        card.add_widget(self.label(result.id_masked, role="small", tone="muted", align="center"))
        body.add_widget(card)
        if result.attempts and not result.passed:
            log_card = Card()
            log_card.add_widget(self.label(app.t("face.attempts"), bold=True))
            for a in result.attempts:
                why = a.to_dict().get("reason_zh" if app.lang == "zh" else "reason_en") or ""
                log_card.add_widget(self.label(app.t("face.attempt_line", n=a.number, why=why), role="small"))
            body.add_widget(log_card)
        if result.outcome == "passed":
            if self.receipt == "printed":
                self.footer.add_widget(
                    self.label(app.t("face.receipt.done"), tone="ok", align="center", bold=True)
                )
            elif self.receipt and self.receipt.startswith("failed"):
                self.footer.add_widget(
                    self.label(app.t("cert.failed", reason=self.receipt[7:]), tone="danger", bold=True)
                )
            if self.receipt != "printed" and app.devices.printer.url:
                b = KButton(text=app.t("face.receipt"), kind="secondary")
                b.disabled = self.receipt == "printing"
                b.bind(on_release=lambda *_: self.print_receipt())
                self.footer.add_widget(b)
            done = KButton(text=app.t("ticket.done"), hfactor=1.2)
            done.bind(on_release=lambda *_: app.go_home())
            self.footer.add_widget(done)
        elif result.outcome == "failed":
            self.window_button = KButton(text=app.t("face.to_window"), hfactor=1.3, role="title")
            self.window_button.bind(on_release=lambda *_: self.route_to_window())
            self.footer.add_widget(self.window_button)
        else:
            done = KButton(text=app.t("ticket.done"), hfactor=1.2)
            done.bind(on_release=lambda *_: app.go_home())
            self.footer.add_widget(done)

    def _build_error(self, body) -> None:
        app = self.app
        card = Card()
        for lbl in self.error_labels(self.error):
            lbl.align = "center"
            card.add_widget(lbl)
        body.add_widget(card)
        self.window_button = KButton(text=app.t("unavailable.take_instead"), hfactor=1.3, role="title")
        self.window_button.bind(on_release=lambda *_: self.route_to_window())
        self.footer.add_widget(self.window_button)

    # ---- the live part -------------------------------------------------------------------------
    def _ensure_tick(self) -> None:
        if self._tick_event is None:
            self._tick_event = Clock.schedule_interval(lambda _dt: self._tick(), 0.1)

    def _tick(self) -> None:
        app = self.app
        run = self.run
        if run is None:
            return
        app.idle.touch()  # following prompts is not being idle: no countdown mid-check
        app._update_idle()
        p = run.progress
        if not hasattr(self, "prompt_label"):
            return
        if p.state == "starting" or not p.prompt_zh:
            main, second = app.t("face.starting"), app.t_other("face.starting")
        else:
            main, second = (p.prompt_zh, p.prompt_en) if app.lang == "zh" else (p.prompt_en, p.prompt_zh)
        self.prompt_label.text = main
        self.prompt_other.text = second if app.lang != "zh" else ""  # one language for a Chinese reader
        failed = p.failed_zh if app.lang == "zh" else p.failed_en
        self.failed_label.text = (
            app.t("face.failed_before", n=p.attempt - 1, why=failed) if failed and p.attempt > 1 else ""
        )
        self.progress_label.text = app.t(
            "face.progress",
            attempt=p.attempt,
            attempts=p.max_attempts,
            action=p.action,
            actions=p.actions or "-",
        )

    def start(self) -> None:
        app = self.app
        if self.run is not None or app.session.id_number is None:
            return
        # a double tap on 开始认证 starts one certification: the second tap finds it running or done
        what, self._action = app.session.actions.begin("face-start", "certify", app.monotonic())
        if what != "run":
            self._action = None
            return
        self._stop_preview()  # one reader per camera: the flow opens it afresh

        def event(e: dict) -> None:
            Clock.schedule_once(lambda _dt: self._report(e))

        app.busy += 1
        self.run = self.certifier.start(
            app.session.id_number,
            on_done=lambda r: Clock.schedule_once(lambda _dt: self._finished(r, None)),
            on_error=lambda e: Clock.schedule_once(lambda _dt: self._finished(None, e)),
            on_prompt=app.say,
            on_event=event,
        )
        log.info("pension certification started for %s", app.session.id_number.masked)
        self.refresh()

    def _finished(self, result, error) -> None:
        run, self.run = self.run, None
        if run is None:
            return  # cancelled meanwhile: the citizen has gone
        self._end_action(result, error)
        self._release(run)
        self._stop_preview()
        self.result, self.error = result, error
        if result is not None and result.passed:
            self.app.speak("voice.face_passed", date=result.certified_until)
        elif result is not None and result.outcome == "failed":
            self.app.speak("voice.face_failed")
        if self.manager and self.manager.current == self.name:
            self.refresh()
        else:
            self.dirty = True

    def _report(self, event: dict) -> None:
        kind = str(event.get("type", "")).rpartition(".")[2]
        if kind == "attempt_failed":
            self.app.report(ss.CERTIFICATION_FAILED, attempt=event.get("attempt"), reason=event.get("reason"))
        elif kind == "passed":
            self.app.report(
                ss.CERTIFICATION_PASSED, attempts=event.get("attempts"), until=event.get("certified_until")
            )
        elif kind == "failed" and not event.get("attempts"):
            # no attempt was possible (no usable photo on file): still a failed self-service visit
            self.app.report(ss.CERTIFICATION_FAILED, attempt=0, reason=event.get("reason"))

    # ---- after the check -----------------------------------------------------------------------
    def route_to_window(self) -> None:
        why = None
        if self.result is not None and self.result.window_tag:
            tag = self.result.window_tag
            why = reason_text(self.result.reason) if self.result.reason else None
        elif self.error is not None:
            tag = f"pension certification failed: {self.error.en}"
            why = (self.error.zh, self.error.en)
        else:
            tag = "pension certification failed"
        self.app.take_number_for_window(tag[:300], purpose="face", why=why)

    def print_receipt(self) -> None:
        app = self.app
        result = self.result
        from onevisit.kiosk.receipt import certification_receipt

        records = self.certifier.records
        number = app.session.id_number

        def slip():
            try:
                name = mask_name(records.find_person(number).name)
            except OneVisitError:
                name = "—"
            return certification_receipt(
                app.config_,
                id_masked=result.id_masked,
                name_masked=name,
                certified_until=str(result.certified_until),
                at=app.now(),
                attempts=len(result.attempts),
            )

        self.print_slip(
            "print-receipt", str(result.certified_until), slip, ref=f"cert-receipt-{result.id_masked[-4:]}"
        )
