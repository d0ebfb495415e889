"""Failed console logins, counted per username and per client address to throttle guessing

Revision ID: e2b7c4f9a6d3
Revises: c6d2f4a8e1b9
Create Date: 2026-11-28 20:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e2b7c4f9a6d3'
down_revision = 'c6d2f4a8e1b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column(
            'failed_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures')),
    )
    with op.batch_alter_table('login_failures') as batch:
        # A login counts recent failures by username and by address; pruning deletes by age.
        batch.create_index(
            'ix_login_failures_username_failed_at', ['username', 'failed_at'], unique=False
        )
        batch.create_index(
            'ix_login_failures_address_failed_at', ['address', 'failed_at'], unique=False
        )
        batch.create_index('ix_login_failures_failed_at', ['failed_at'], unique=False)


def downgrade():
    op.drop_table('login_failures')
