"""ESC/POS printing: tickets, self-test pages and raster pages, with status and print jobs.

from onevisit.devices.printer import Printer, TicketPrint
printer = Printer(config.printer)             # or Printer(config.printer, url="tcp://10.0.0.9")
job = printer.print_ticket(ticket_print)      # PrintJob: done, or failed with a bilingual reason
if job.state == "failed": ... show job.message_zh, then printer.retry(job.id)
printer.print_images([page1, page2])          # certificates: PIL images fitted to the paper
"""

from onevisit.devices.printer.errors import PrinterError, PrinterUrlError
from onevisit.devices.printer.jobs import JobState, Printer, PrintJob
from onevisit.devices.printer.status import PrinterStatus
from onevisit.devices.printer.ticket import TicketPrint

__all__ = [
    "JobState",
    "PrintJob",
    "Printer",
    "PrinterError",
    "PrinterStatus",
    "PrinterUrlError",
    "TicketPrint",
]
