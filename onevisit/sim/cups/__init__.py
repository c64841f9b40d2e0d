"""A real CUPS scheduler of our own (cupsd in a temp dir on a free port) with a cups-pdf queue that
writes every printed job as a PDF, and a fault-injecting queue. See private.py and docs/printing.md."""

from onevisit.sim.cups.private import PrivateCups, PrivateCupsError

__all__ = ["PrivateCups", "PrivateCupsError"]
