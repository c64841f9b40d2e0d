"""The kiosk's screens: one module (and, where it has its own widgets, one .kv) per screen."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

HERE = Path(__file__).parent


def load_screens() -> dict[str, type]:
    from onevisit.kiosk.screens import common  # noqa: F401  (classes the rules name)

    for kv in sorted(HERE.glob("*.kv")):
        if str(kv) not in Builder.files:
            Builder.load_file(str(kv))
    from onevisit.kiosk.screens.appointment import AppointmentScreen
    from onevisit.kiosk.screens.card import CardScreen
    from onevisit.kiosk.screens.face import FaceScreen
    from onevisit.kiosk.screens.guide import GuideScreen
    from onevisit.kiosk.screens.home import HomeScreen
    from onevisit.kiosk.screens.identify import IdentifyScreen
    from onevisit.kiosk.screens.maintenance import MaintenanceScreen
    from onevisit.kiosk.screens.notify import NotifyScreen
    from onevisit.kiosk.screens.pension import PensionScreen
    from onevisit.kiosk.screens.recheck import RecheckScreen
    from onevisit.kiosk.screens.selfservice import CertificateScreen, RecordsScreen
    from onevisit.kiosk.screens.take import TakeScreen
    from onevisit.kiosk.screens.ticket import TicketScreen

    return {
        "home": HomeScreen,
        "identify": IdentifyScreen,
        "take": TakeScreen,
        "ticket": TicketScreen,
        "notify": NotifyScreen,
        "certificate": CertificateScreen,
        "records": RecordsScreen,
        "card": CardScreen,
        "pension": PensionScreen,
        "guide": GuideScreen,
        "face": FaceScreen,
        "appointment": AppointmentScreen,
        "recheck": RecheckScreen,
        "maintenance": MaintenanceScreen,
    }
