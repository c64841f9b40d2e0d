"""Every table of a hall database, defined once (SQLAlchemy Core), for SQLite and PostgreSQL.

Two databases use these tables: the hall's own (queue, accounts, appointments, ratings, devices,
notices, self-service records: one file, or one PostgreSQL schema per hall) and the certificates
register (`[records] certificates_db`); a third, the city region's (`onevisit region`), holds every
hall's shipped rows. `HALL_TABLES`, `REGISTER_TABLES` and `REGION_TABLES` say which is which.

Conventions, so both engines behave alike:
- times are ISO-8601 text (`2026-11-29T09:30:00+08:00`) or float epoch seconds (`*_ts`): text
  compares the same on both engines and keeps the hall's UTC offset, which SQLite's DateTime drops;
- integer ids are given by the store (`Tx.insert`: max + 1 under the hall's write lock), never by a
  PostgreSQL sequence: sequence values become visible out of order, and a reader that follows
  `id > last` (the event hub, the shipper) would skip rows;
- index names are those the tables carried before Alembic, so upgrading an old file adds none twice.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

#: Case-insensitive names (user names, kiosk names): SQLite's NOCASE; on PostgreSQL a
#: nondeterministic ICU collation made by the first migration (`NOCASE_COLLATION_SQL`).
NoCaseText = (
    Text()
    .with_variant(Text(collation="NOCASE"), "sqlite")
    .with_variant(Text(collation="nocase"), "postgresql")
)
NOCASE_COLLATION_SQL = "CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)"


def _id() -> Column:
    # autoincrement=False: on PostgreSQL no SERIAL, so an insert that forgot its id fails loudly.
    return Column("id", Integer, primary_key=True, autoincrement=False)


# -- the queue (queue/store.py) ----------------------------------------------------------------------
meta = Table("meta", metadata, Column("key", Text, primary_key=True), Column("value", Text))

tickets = Table(
    "tickets",
    metadata,
    _id(),
    Column("day", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("number", Text, nullable=False),
    Column("short_code", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("priority_reason", Text),
    Column("person_hash", Text),
    Column("person_masked", Text),
    Column("created_at", Text, nullable=False),
    Column("arrival_key", Double, nullable=False),
    Column("idempotency_key", Text),
    Column("source", Text),
    Column("tag", Text),
    Column("appointment_at", Text),
    Index("idx_tickets_day_number", "day", "number", unique=True),
    Index("idx_tickets_idempotency_key", "idempotency_key", unique=True),
    Index("idx_tickets_day_person_hash", "day", "person_hash"),
    Index("idx_tickets_day_state", "day", "state"),
)

steps = Table(
    "steps",
    metadata,
    _id(),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("matter", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("window", Integer),
    Column("queued_at", Text),
    Column("sort_key", Double),
    Column("call_count", Integer, nullable=False),
    Column("called_at", Text),
    Column("started_at", Text),
    Column("finished_at", Text),
    Column("from_window", Integer),
    Column("transfer_reason", Text),
    Column("transfer_note", Text),
    Column("outcome", Text),
    Index("idx_steps_ticket_id_seq", "ticket_id", "seq", unique=True),
    Index("idx_steps_state_matter_sort_key", "state", "matter", "sort_key"),
    Index("idx_steps_matter_state_finished_at", "matter", "state", "finished_at"),
)

windows = Table(
    "windows",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("state", Text, nullable=False),
    Column("current_step_id", Integer),
    Column("priority_streak", Integer, nullable=False),
    Column("staff", Text),
)

counters = Table(
    "counters",
    metadata,
    Column("day", Text),
    Column("prefix", Text),
    Column("last", Integer, nullable=False),
    PrimaryKeyConstraint("day", "prefix"),
)

events = Table(
    "events",
    metadata,
    _id(),
    Column("at", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("day", Text, nullable=False),
    Column("number", Text),
    Column("window", Integer),
    Column("matter", Text),
    Column("data", Text, nullable=False),
    Index("idx_events_day_kind", "day", "kind"),
)

# -- the hall server (hall/stores, hall/live) ---------------------------------------------------------
hall_meta = Table(
    "hall_meta", metadata, Column("key", Text, primary_key=True), Column("value", Text, nullable=False)
)

hall_users = Table(
    "hall_users",
    metadata,
    Column("name", NoCaseText, primary_key=True),
    Column("role", Text, nullable=False),
    Column("window", Integer),
    Column("password_hash", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("disabled", Integer, nullable=False, server_default=text("0")),
    CheckConstraint("role IN ('staff', 'supervisor', 'technician')", name="hall_users_role"),
)

hall_kiosks = Table(
    "hall_kiosks",
    metadata,
    Column("name", NoCaseText, primary_key=True),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
    Column("expires_ts", Double, nullable=False),
    Column("disabled", Integer, nullable=False, server_default=text("0")),
)

hall_tokens = Table(
    "hall_tokens",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user_name", Text, nullable=False),
    Column("created_ts", Double, nullable=False),
    Column("expires_ts", Double, nullable=False),
    Index("hall_tokens_expiry", "expires_ts"),
)

hall_login_failures = Table(
    "hall_login_failures",
    metadata,
    Column("key", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_ts", Double, nullable=False),
    Column("locked_until_ts", Double, nullable=False, server_default=text("0")),
)

#: appointments.STATES, repeated here because a schema must not import the store it serves
APPOINTMENT_STATES = ("booked", "checked_in", "cancelled")

hall_appointments = Table(
    "hall_appointments",
    metadata,
    _id(),
    Column("day", Text, nullable=False),
    Column("slot", Text, nullable=False),
    Column("matters", Text, nullable=False),
    Column("person_hash", Text, nullable=False),
    Column("person_masked", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("ticket_number", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("updated_by", Text),
    Column("updated_at", Text),
    CheckConstraint(
        "state IN (" + ", ".join(f"'{s}'" for s in APPOINTMENT_STATES) + ")", name="hall_appointments_state"
    ),
    Index("hall_appointments_day", "day", "slot"),
    # one live booking per person and day, whoever books it and however
    Index(
        "hall_appointments_person_day",
        "day",
        "person_hash",
        unique=True,
        sqlite_where=text("state != 'cancelled'"),
        postgresql_where=text("state != 'cancelled'"),
    ),
)

hall_rating_prompts = Table(
    "hall_rating_prompts",
    metadata,
    Column("window", Integer, primary_key=True, autoincrement=False),
    Column("step_id", Integer, nullable=False),
    Column("day", Text, nullable=False),
    Column("number", Text, nullable=False),
    Column("matter", Text),
    Column("finished_at", Text, nullable=False),
    Column("finished_ts", Double, nullable=False),
)

hall_ratings = Table(
    "hall_ratings",
    metadata,
    _id(),
    Column("step_id", Integer, nullable=False, unique=True),
    Column("day", Text, nullable=False),
    Column("number", Text, nullable=False),
    Column("window", Integer, nullable=False),
    Column("matter", Text),
    Column("score", Integer, nullable=False),
    Column("at", Text, nullable=False),
    CheckConstraint("score BETWEEN 1 AND 5", name="hall_ratings_score"),
    Index("hall_ratings_day", "day", "window"),
)

hall_device_state = Table(
    "hall_device_state",
    metadata,
    Column("device", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("owner", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("code", Text),
    Column("detail", Text, nullable=False, server_default=text("''")),
    Column("since_ts", Double, nullable=False),
    Column("updated_ts", Double, nullable=False),
    Column("info", Text, nullable=False, server_default=text("'{}'")),
)

hall_device_events = Table(
    "hall_device_events",
    metadata,
    _id(),
    Column("ts", Double, nullable=False),
    Column("device", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("code", Text),
    Column("detail", Text, nullable=False, server_default=text("''")),
    Column("actor", Text),
    Index("hall_device_events_device", "device", "id"),
    Index("hall_device_events_ts", "ts"),
    sqlite_autoincrement=True,
)

hall_kiosk_heartbeats = Table(
    "hall_kiosk_heartbeats",
    metadata,
    Column("kiosk", NoCaseText, primary_key=True),
    Column("last_ts", Double, nullable=False),
    Column("first_ts", Double, nullable=False),
    Column("address", Text),
    Column("version", Text),
    Column("started_at", Text),
    Column("last_error", Text),
    Column("last_error_at", Text),
    Column("beats", Integer, nullable=False, server_default=text("0")),
)

hall_kiosk_commands = Table(
    "hall_kiosk_commands",
    metadata,
    _id(),
    Column("kiosk", NoCaseText, nullable=False),
    Column("action", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("created_ts", Double, nullable=False),
    Column("sent_ts", Double),
    Column("done_ts", Double),
    Column("ok", Integer),
    Column("detail", Text),
    Index("hall_kiosk_commands_open", "kiosk", "done_ts"),
    sqlite_autoincrement=True,
)

notify_subscriptions = Table(
    "notify_subscriptions",
    metadata,
    _id(),
    Column("day", Text, nullable=False),
    Column("number", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("address_enc", Text),
    Column("masked", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("ended_at", Text),
    UniqueConstraint("day", "number", "channel"),
)

notify_outbox = Table(
    "notify_outbox",
    metadata,
    _id(),
    Column("subscription_id", Integer, ForeignKey("notify_subscriptions.id"), nullable=False),
    Column("step_id", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("params", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_at", Text, nullable=False),
    Column("delivered_at", Text),
    Column("dropped", Text),
    Column("last_error", Text),
    UniqueConstraint("subscription_id", "step_id", "kind"),
    Index("notify_outbox_due", "delivered_at", "dropped", "next_at"),
)

selfservice_events = Table(
    "selfservice_events",
    metadata,
    _id(),
    Column("at", Text, nullable=False),
    Column("day", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("data", Text, nullable=False, server_default=text("'{}'")),
    Index("selfservice_events_day", "day", "kind"),
)

# -- the certificates register (records/register.py): its own database ------------------------------
certificates = Table(
    "certificates",
    metadata,
    Column("serial", Text, primary_key=True),
    Column("day", Text),
    Column("seq", Integer),
    Column("issued_at", Text),
    Column("id_masked", Text),
    Column("name_masked", Text),
    Column("since", Text),
    Column("until", Text),
    Column("digest", Text),
    Column("code", Text),
    Column("key", Text),
    Column("pages", Integer),
    Column("status", Text),  # reserved / issued / printing / printed / print_failed
    Column("print_job", Text),  # the document printer's job id: a retry asks its state first
)

# -- the city region (onevisit/region): its own database, PostgreSQL schema `region` ---------------
# Shipped rows keep the hall's own ids under (hall, incarnation): the key that makes a repeated or
# out-of-order batch change nothing (INSERT … ON CONFLICT DO NOTHING). `incarnation` is the hall
# database's epoch (db/epoch.py); a superseded incarnation's rows stay for audit, out of figures.
region_halls = Table(
    "region_halls",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
    Column("disabled", Integer, nullable=False, server_default=text("0")),
)

region_users = Table(
    "region_users",
    metadata,
    Column("name", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
    Column("disabled", Integer, nullable=False, server_default=text("0")),
    CheckConstraint("role IN ('supervisor', 'staff')", name="region_users_role"),
)

region_incarnations = Table(
    "region_incarnations",
    metadata,
    Column("hall", Text, nullable=False),
    Column("incarnation", Text, nullable=False),
    Column("first_seen", Text, nullable=False),
    Column("superseded_at", Text),
    Column("superseded_reason", Text),
    PrimaryKeyConstraint("hall", "incarnation"),
)


def _shipped_key() -> list:
    return [
        Column("hall", Text, nullable=False),
        Column("incarnation", Text, nullable=False),
        Column("id", Integer, nullable=False, autoincrement=False),
    ]


region_events = Table(
    "region_events",
    metadata,
    *_shipped_key(),
    Column("at", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("day", Text, nullable=False),
    Column("number", Text),
    Column("window", Integer),
    Column("matter", Text),
    Column("data", Text, nullable=False),
    Column("received_at", Text, nullable=False),
    PrimaryKeyConstraint("hall", "incarnation", "id"),
    Index("region_events_day", "day", "hall"),
)

region_ratings = Table(
    "region_ratings",
    metadata,
    *_shipped_key(),
    Column("step_id", Integer, nullable=False),
    Column("day", Text, nullable=False),
    Column("number", Text, nullable=False),
    Column("window", Integer, nullable=False),
    Column("matter", Text),
    Column("score", Integer, nullable=False),
    Column("at", Text, nullable=False),
    Column("received_at", Text, nullable=False),
    PrimaryKeyConstraint("hall", "incarnation", "id"),
    Index("region_ratings_day", "day", "hall"),
)

region_selfservice = Table(
    "region_selfservice",
    metadata,
    *_shipped_key(),
    Column("at", Text, nullable=False),
    Column("day", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("received_at", Text, nullable=False),
    PrimaryKeyConstraint("hall", "incarnation", "id"),
    Index("region_selfservice_day", "day", "hall"),
)

#: region bookings: booked (waiting at its hall), checked_in (once, city-wide), cancelled
REGION_BOOKING_STATES = ("booked", "checked_in", "cancelled")

region_bookings = Table(
    "region_bookings",
    metadata,
    _id(),
    Column("hall", Text, nullable=False),
    Column("day", Text, nullable=False),
    Column("slot", Text, nullable=False),
    Column("matters", Text, nullable=False),
    Column("person_hash", Text, nullable=False),
    Column("person_masked", Text, nullable=False),
    Column("state", Text, nullable=False),
    #: the hall it was booked at before a check-in elsewhere moved it: that hall's pull drops it
    Column("previous_hall", Text),
    Column("checked_in_hall", Text),
    Column("checked_in_at", Text),
    Column("ticket_number", Text),
    #: a second check-in the region refused (another hall, or another ticket): kept for staff
    Column("conflict", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    #: the halls' pull cursor: max + 1 at every change, under the region's write lock
    Column("changed_seq", Integer, nullable=False),
    CheckConstraint(
        "state IN (" + ", ".join(f"'{s}'" for s in REGION_BOOKING_STATES) + ")", name="region_bookings_state"
    ),
    Index("region_bookings_seq", "changed_seq", unique=True),
    Index("region_bookings_hall_day", "hall", "day"),
)

region_hall_status = Table(
    "region_hall_status",
    metadata,
    Column("hall", Text, primary_key=True),
    Column("incarnation", Text),
    Column("last_seen", Text, nullable=False),
    Column("last_seen_ts", Double, nullable=False),
    #: region clock − hall clock, seconds, less half the round trip the shipper measured
    Column("clock_skew_s", Double),
    Column("shipper_version", Text),
)

REGISTER_TABLES = (certificates,)
REGION_TABLES = (
    region_halls,
    region_users,
    region_incarnations,
    region_events,
    region_ratings,
    region_selfservice,
    region_bookings,
    region_hall_status,
)
HALL_TABLES = tuple(t for t in metadata.sorted_tables if t not in REGISTER_TABLES and t not in REGION_TABLES)
