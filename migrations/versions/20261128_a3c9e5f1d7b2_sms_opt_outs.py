"""Numbers that unsubscribed from the hotline's texts (退订 / TD / STOP)

Revision ID: a3c9e5f1d7b2
Revises: 4b7e9d2c1a58
Create Date: 2026-11-28 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3c9e5f1d7b2'
down_revision = '4b7e9d2c1a58'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sms_opt_outs',
        sa.Column('phone_key', sa.String(length=64), nullable=False),
        sa.Column('keyword', sa.String(length=32), nullable=False),
        sa.Column('message_sid', sa.String(length=64), nullable=True),
        sa.Column(
            'opted_out_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint('phone_key'),
    )


def downgrade():
    op.drop_table('sms_opt_outs')
