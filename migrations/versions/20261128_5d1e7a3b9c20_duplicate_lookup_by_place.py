"""Duplicate lookup by place: an index on (area, matter, accepted_at) for intake's candidates

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


def downgrade():
    op.drop_index('ix_tickets_area_matter_accepted', table_name='tickets')
