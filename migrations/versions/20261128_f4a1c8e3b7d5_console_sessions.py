"""Console sign-ins kept on the server, so that signing out revokes the cookie

Revision ID: f4a1c8e3b7d5
Revises: e2b7c4f9a6d3
Create Date: 2026-11-28 21:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f4a1c8e3b7d5'
down_revision = 'e2b7c4f9a6d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'console_sessions',
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_console_sessions_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('token_digest', name=op.f('pk_console_sessions')),
    )
    with op.batch_alter_table('console_sessions') as batch:
        # A login prunes the user's expired sign-ins.
        batch.create_index(
            'ix_console_sessions_user_id_expires_at', ['user_id', 'expires_at'], unique=False
        )


def downgrade():
    op.drop_table('console_sessions')
