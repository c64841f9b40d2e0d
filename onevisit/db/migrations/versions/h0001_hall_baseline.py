"""The hall database as OneVisit made it before migrations (queue, accounts, appointments,
ratings, devices, notices, self-service records).

A database made by an older OneVisit already has these tables: each is created only when missing,
so upgrading it keeps every row; a new database gets them all.

Revision ID: h0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h0001"
down_revision = None
branch_labels = ("hall",)
depends_on = None


def _has(table: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # case-insensitive user and kiosk names, as SQLite's NOCASE
        op.execute(
            "CREATE COLLATION IF NOT EXISTS nocase "
            "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
        )
    if not _has("counters"):
        op.create_table(
            "counters",
            sa.Column("day", sa.Text(), nullable=False),
            sa.Column("prefix", sa.Text(), nullable=False),
            sa.Column("last", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("day", "prefix"),
        )
    if not _has("events"):
        op.create_table(
            "events",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("at", sa.Text(), nullable=False),
            sa.Column("actor", sa.Text(), nullable=False),
            sa.Column("kind", sa.Text(), nullable=False),
            sa.Column("day", sa.Text(), nullable=False),
            sa.Column("number", sa.Text(), nullable=True),
            sa.Column("window", sa.Integer(), nullable=True),
            sa.Column("matter", sa.Text(), nullable=True),
            sa.Column("data", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("events", schema=None) as batch_op:
            batch_op.create_index("idx_events_day_kind", ["day", "kind"], unique=False)
    if not _has("hall_appointments"):
        op.create_table(
            "hall_appointments",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("day", sa.Text(), nullable=False),
            sa.Column("slot", sa.Text(), nullable=False),
            sa.Column("matters", sa.Text(), nullable=False),
            sa.Column("person_hash", sa.Text(), nullable=False),
            sa.Column("person_masked", sa.Text(), nullable=False),
            sa.Column("state", sa.Text(), nullable=False),
            sa.Column("ticket_number", sa.Text(), nullable=True),
            sa.Column("created_by", sa.Text(), nullable=False),
            sa.Column("created_at", sa.Text(), nullable=False),
            sa.Column("updated_by", sa.Text(), nullable=True),
            sa.Column("updated_at", sa.Text(), nullable=True),
            sa.CheckConstraint(
                "state IN ('booked', 'checked_in', 'cancelled')", name="hall_appointments_state"
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("hall_appointments", schema=None) as batch_op:
            batch_op.create_index("hall_appointments_day", ["day", "slot"], unique=False)
            batch_op.create_index(
                "hall_appointments_person_day",
                ["day", "person_hash"],
                unique=True,
                sqlite_where=sa.text("state != 'cancelled'"),
                postgresql_where=sa.text("state != 'cancelled'"),
            )
    if not _has("hall_device_events"):
        op.create_table(
            "hall_device_events",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("ts", sa.Double(), nullable=False),
            sa.Column("device", sa.Text(), nullable=False),
            sa.Column("state", sa.Text(), nullable=False),
            sa.Column("code", sa.Text(), nullable=True),
            sa.Column("detail", sa.Text(), server_default=sa.text("''"), nullable=False),
            sa.Column("actor", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sqlite_autoincrement=True,
        )
        with op.batch_alter_table("hall_device_events", schema=None) as batch_op:
            batch_op.create_index("hall_device_events_device", ["device", "id"], unique=False)
            batch_op.create_index("hall_device_events_ts", ["ts"], unique=False)
    if not _has("hall_device_state"):
        op.create_table(
            "hall_device_state",
            sa.Column("device", sa.Text(), nullable=False),
            sa.Column("kind", sa.Text(), nullable=False),
            sa.Column("owner", sa.Text(), nullable=False),
            sa.Column("label", sa.Text(), nullable=False),
            sa.Column("state", sa.Text(), nullable=False),
            sa.Column("code", sa.Text(), nullable=True),
            sa.Column("detail", sa.Text(), server_default=sa.text("''"), nullable=False),
            sa.Column("since_ts", sa.Double(), nullable=False),
            sa.Column("updated_ts", sa.Double(), nullable=False),
            sa.Column("info", sa.Text(), server_default=sa.text("'{}'"), nullable=False),
            sa.PrimaryKeyConstraint("device"),
        )
    if not _has("hall_kiosk_commands"):
        op.create_table(
            "hall_kiosk_commands",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column(
                "kiosk",
                sa.Text()
                .with_variant(sa.Text(collation="nocase"), "postgresql")
                .with_variant(sa.Text(collation="NOCASE"), "sqlite"),
                nullable=False,
            ),
            sa.Column("action", sa.Text(), nullable=False),
            sa.Column("actor", sa.Text(), nullable=False),
            sa.Column("created_ts", sa.Double(), nullable=False),
            sa.Column("sent_ts", sa.Double(), nullable=True),
            sa.Column("done_ts", sa.Double(), nullable=True),
            sa.Column("ok", sa.Integer(), nullable=True),
            sa.Column("detail", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sqlite_autoincrement=True,
        )
        with op.batch_alter_table("hall_kiosk_commands", schema=None) as batch_op:
            batch_op.create_index("hall_kiosk_commands_open", ["kiosk", "done_ts"], unique=False)
    if not _has("hall_kiosk_heartbeats"):
        op.create_table(
            "hall_kiosk_heartbeats",
            sa.Column(
                "kiosk",
                sa.Text()
                .with_variant(sa.Text(collation="nocase"), "postgresql")
                .with_variant(sa.Text(collation="NOCASE"), "sqlite"),
                nullable=False,
            ),
            sa.Column("last_ts", sa.Double(), nullable=False),
            sa.Column("first_ts", sa.Double(), nullable=False),
            sa.Column("address", sa.Text(), nullable=True),
            sa.Column("version", sa.Text(), nullable=True),
            sa.Column("started_at", sa.Text(), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("last_error_at", sa.Text(), nullable=True),
            sa.Column("beats", sa.Integer(), server_default=sa.text("0"), nullable=False),
            sa.PrimaryKeyConstraint("kiosk"),
        )
    if not _has("hall_kiosks"):
        op.create_table(
            "hall_kiosks",
            sa.Column(
                "name",
                sa.Text()
                .with_variant(sa.Text(collation="nocase"), "postgresql")
                .with_variant(sa.Text(collation="NOCASE"), "sqlite"),
                nullable=False,
            ),
            sa.Column("token_hash", sa.Text(), nullable=False),
            sa.Column("created_at", sa.Text(), nullable=False),
            sa.Column("expires_ts", sa.Double(), nullable=False),
            sa.Column("disabled", sa.Integer(), server_default=sa.text("0"), nullable=False),
            sa.PrimaryKeyConstraint("name"),
            sa.UniqueConstraint("token_hash"),
        )
    if not _has("hall_login_failures"):
        op.create_table(
            "hall_login_failures",
            sa.Column("key", sa.Text(), nullable=False),
            sa.Column("failures", sa.Integer(), nullable=False),
            sa.Column("last_ts", sa.Double(), nullable=False),
            sa.Column("locked_until_ts", sa.Double(), server_default=sa.text("0"), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        )
    if not _has("hall_meta"):
        op.create_table(
            "hall_meta",
            sa.Column("key", sa.Text(), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        )
    if not _has("hall_rating_prompts"):
        op.create_table(
            "hall_rating_prompts",
            sa.Column("window", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("step_id", sa.Integer(), nullable=False),
            sa.Column("day", sa.Text(), nullable=False),
            sa.Column("number", sa.Text(), nullable=False),
            sa.Column("matter", sa.Text(), nullable=True),
            sa.Column("finished_at", sa.Text(), nullable=False),
            sa.Column("finished_ts", sa.Double(), nullable=False),
            sa.PrimaryKeyConstraint("window"),
        )
    if not _has("hall_ratings"):
        op.create_table(
            "hall_ratings",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("step_id", sa.Integer(), nullable=False),
            sa.Column("day", sa.Text(), nullable=False),
            sa.Column("number", sa.Text(), nullable=False),
            sa.Column("window", sa.Integer(), nullable=False),
            sa.Column("matter", sa.Text(), nullable=True),
            sa.Column("score", sa.Integer(), nullable=False),
            sa.Column("at", sa.Text(), nullable=False),
            sa.CheckConstraint("score BETWEEN 1 AND 5", name="hall_ratings_score"),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("step_id"),
        )
        with op.batch_alter_table("hall_ratings", schema=None) as batch_op:
            batch_op.create_index("hall_ratings_day", ["day", "window"], unique=False)
    if not _has("hall_tokens"):
        op.create_table(
            "hall_tokens",
            sa.Column("token_hash", sa.Text(), nullable=False),
            sa.Column("user_name", sa.Text(), nullable=False),
            sa.Column("created_ts", sa.Double(), nullable=False),
            sa.Column("expires_ts", sa.Double(), nullable=False),
            sa.PrimaryKeyConstraint("token_hash"),
        )
        with op.batch_alter_table("hall_tokens", schema=None) as batch_op:
            batch_op.create_index("hall_tokens_expiry", ["expires_ts"], unique=False)
    if not _has("hall_users"):
        op.create_table(
            "hall_users",
            sa.Column(
                "name",
                sa.Text()
                .with_variant(sa.Text(collation="nocase"), "postgresql")
                .with_variant(sa.Text(collation="NOCASE"), "sqlite"),
                nullable=False,
            ),
            sa.Column("role", sa.Text(), nullable=False),
            sa.Column("window", sa.Integer(), nullable=True),
            sa.Column("password_hash", sa.Text(), nullable=False),
            sa.Column("created_at", sa.Text(), nullable=False),
            sa.Column("disabled", sa.Integer(), server_default=sa.text("0"), nullable=False),
            sa.CheckConstraint("role IN ('staff', 'supervisor', 'technician')", name="hall_users_role"),
            sa.PrimaryKeyConstraint("name"),
        )
    if not _has("meta"):
        op.create_table(
            "meta",
            sa.Column("key", sa.Text(), nullable=False),
            sa.Column("value", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("key"),
        )
    if not _has("notify_subscriptions"):
        op.create_table(
            "notify_subscriptions",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("day", sa.Text(), nullable=False),
            sa.Column("number", sa.Text(), nullable=False),
            sa.Column("channel", sa.Text(), nullable=False),
            sa.Column("address_enc", sa.Text(), nullable=True),
            sa.Column("masked", sa.Text(), nullable=False),
            sa.Column("source", sa.Text(), nullable=False),
            sa.Column("created_at", sa.Text(), nullable=False),
            sa.Column("ended_at", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("day", "number", "channel"),
        )
    if not _has("selfservice_events"):
        op.create_table(
            "selfservice_events",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("at", sa.Text(), nullable=False),
            sa.Column("day", sa.Text(), nullable=False),
            sa.Column("actor", sa.Text(), nullable=False),
            sa.Column("kind", sa.Text(), nullable=False),
            sa.Column("data", sa.Text(), server_default=sa.text("'{}'"), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("selfservice_events", schema=None) as batch_op:
            batch_op.create_index("selfservice_events_day", ["day", "kind"], unique=False)
    if not _has("tickets"):
        op.create_table(
            "tickets",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("day", sa.Text(), nullable=False),
            sa.Column("seq", sa.Integer(), nullable=False),
            sa.Column("number", sa.Text(), nullable=False),
            sa.Column("short_code", sa.Text(), nullable=False),
            sa.Column("state", sa.Text(), nullable=False),
            sa.Column("priority", sa.Integer(), nullable=False),
            sa.Column("priority_reason", sa.Text(), nullable=True),
            sa.Column("person_hash", sa.Text(), nullable=True),
            sa.Column("person_masked", sa.Text(), nullable=True),
            sa.Column("created_at", sa.Text(), nullable=False),
            sa.Column("arrival_key", sa.Double(), nullable=False),
            sa.Column("idempotency_key", sa.Text(), nullable=True),
            sa.Column("source", sa.Text(), nullable=True),
            sa.Column("tag", sa.Text(), nullable=True),
            sa.Column("appointment_at", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("tickets", schema=None) as batch_op:
            batch_op.create_index("idx_tickets_day_number", ["day", "number"], unique=True)
            batch_op.create_index("idx_tickets_day_person_hash", ["day", "person_hash"], unique=False)
            batch_op.create_index("idx_tickets_day_state", ["day", "state"], unique=False)
            batch_op.create_index("idx_tickets_idempotency_key", ["idempotency_key"], unique=True)
    if not _has("windows"):
        op.create_table(
            "windows",
            sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("state", sa.Text(), nullable=False),
            sa.Column("current_step_id", sa.Integer(), nullable=True),
            sa.Column("priority_streak", sa.Integer(), nullable=False),
            sa.Column("staff", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("number"),
        )
    if not _has("notify_outbox"):
        op.create_table(
            "notify_outbox",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("subscription_id", sa.Integer(), nullable=False),
            sa.Column("step_id", sa.Integer(), nullable=False),
            sa.Column("kind", sa.Text(), nullable=False),
            sa.Column("params", sa.Text(), nullable=False),
            sa.Column("created_at", sa.Text(), nullable=False),
            sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
            sa.Column("next_at", sa.Text(), nullable=False),
            sa.Column("delivered_at", sa.Text(), nullable=True),
            sa.Column("dropped", sa.Text(), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.ForeignKeyConstraint(
                ["subscription_id"],
                ["notify_subscriptions.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("subscription_id", "step_id", "kind"),
        )
        with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
            batch_op.create_index("notify_outbox_due", ["delivered_at", "dropped", "next_at"], unique=False)
    if not _has("steps"):
        op.create_table(
            "steps",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("ticket_id", sa.Integer(), nullable=False),
            sa.Column("seq", sa.Integer(), nullable=False),
            sa.Column("matter", sa.Text(), nullable=False),
            sa.Column("state", sa.Text(), nullable=False),
            sa.Column("window", sa.Integer(), nullable=True),
            sa.Column("queued_at", sa.Text(), nullable=True),
            sa.Column("sort_key", sa.Double(), nullable=True),
            sa.Column("call_count", sa.Integer(), nullable=False),
            sa.Column("called_at", sa.Text(), nullable=True),
            sa.Column("started_at", sa.Text(), nullable=True),
            sa.Column("finished_at", sa.Text(), nullable=True),
            sa.Column("from_window", sa.Integer(), nullable=True),
            sa.Column("transfer_reason", sa.Text(), nullable=True),
            sa.Column("transfer_note", sa.Text(), nullable=True),
            sa.Column("outcome", sa.Text(), nullable=True),
            sa.ForeignKeyConstraint(
                ["ticket_id"],
                ["tickets.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("steps", schema=None) as batch_op:
            batch_op.create_index(
                "idx_steps_matter_state_finished_at", ["matter", "state", "finished_at"], unique=False
            )
            batch_op.create_index(
                "idx_steps_state_matter_sort_key", ["state", "matter", "sort_key"], unique=False
            )
            batch_op.create_index("idx_steps_ticket_id_seq", ["ticket_id", "seq"], unique=True)


def downgrade() -> None:
    raise NotImplementedError("the first schema has no older one to go back to")
