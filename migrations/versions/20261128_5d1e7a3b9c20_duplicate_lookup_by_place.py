"""Duplicate lookup by place (area, matter, accepted_at); indexes that others cover dropped

Revision ID: 5d1e7a3b9c20
Revises: 71f5553b834d
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d1e7a3b9c20'
down_revision = '71f5553b834d'
branch_labels = None
depends_on = None


def upgrade():
    # Intake looks for open tickets of the same matter in the same area in the last days; the
    # single-column indexes made PostgreSQL intersect bitmaps that grow with the table.
    op.create_index(
        'ix_tickets_area_matter_accepted',
        'tickets',
        ['area_code', 'matter_code', 'accepted_at'],
        unique=False,
    )
    # Each is the leading column of another index: every intake paid to maintain them twice.
    op.drop_index('ix_tickets_area_code', table_name='tickets')
    op.drop_index('ix_tickets_state', table_name='tickets')
    op.drop_index('ix_ticket_events_ticket_id', table_name='ticket_events')


def downgrade():
    op.create_index('ix_ticket_events_ticket_id', 'ticket_events', ['ticket_id'], unique=False)
    op.create_index('ix_tickets_state', 'tickets', ['state'], unique=False)
    op.create_index('ix_tickets_area_code', 'tickets', ['area_code'], unique=False)
    op.drop_index('ix_tickets_area_matter_accepted', table_name='tickets')
