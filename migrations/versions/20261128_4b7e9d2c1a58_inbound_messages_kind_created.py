"""Inbound messages by kind and time: the voicemail adoption job's query

Revision ID: 4b7e9d2c1a58
Revises: 8c41d2e7a6b3
Create Date: 2026-11-28 13:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '4b7e9d2c1a58'
down_revision = '8c41d2e7a6b3'
branch_labels = None
depends_on = None


def upgrade():
    # Every five minutes the job looks for recent calls; without this it reads every SMS too.
    op.create_index(
        'ix_inbound_messages_kind_created_at',
        'inbound_messages',
        ['kind', 'created_at'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_inbound_messages_kind_created_at', table_name='inbound_messages')
