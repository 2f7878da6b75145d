"""PostgreSQL: NOTIFY outbox_events only for rows inserted without a lease.

Revision ID: 0008
Revises: 0007

A row published at its commit by the instance that wrote it (services/orders/
outbox.py) is inserted with its id and a lease: the relays could not take it
before the lease lapses, so waking every relay at its commit was one empty
claim per relay per order. The trigger now reads the statement's inserted rows
(a transition table) and notifies only when one of them has no lease.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "outbox_events"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM inserted WHERE claimed_until IS NULL) THEN
                PERFORM pg_notify('{CHANNEL}', '');
            END IF;
            RETURN NULL;
        END;
        $$
        """
    )
    op.execute("DROP TRIGGER outbox_events_notify ON outbox_events")
    op.execute(
        """
        CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
        REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER outbox_events_notify ON outbox_events")
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END;
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify()
        """
    )
