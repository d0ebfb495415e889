"""When a matter last changed: Open311's discovery changeset follows the services it lists

Revision ID: c6d2f4a8e1b9
Revises: a3c9e5f1d7b2
Create Date: 2026-11-28 18:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c6d2f4a8e1b9'
down_revision = 'a3c9e5f1d7b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matters') as batch:
        batch.add_column(
            sa.Column(
                'changed_at',
                sa.DateTime(timezone=True),
                server_default=sa.func.now(),
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table('matters') as batch:
        batch.drop_column('changed_at')
