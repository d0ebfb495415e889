"""When an area or a unit last changed: running processes reload their routing rules after a
`city import`

Revision ID: b5e8d1c4a7f2
Revises: f4a1c8e3b7d5
Create Date: 2026-11-29 02:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b5e8d1c4a7f2'
down_revision = 'f4a1c8e3b7d5'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('areas', 'units'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    'changed_at',
                    sa.DateTime(timezone=True),
                    server_default=sa.func.now(),
                    nullable=False,
                )
            )


def downgrade():
    for table in ('areas', 'units'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('changed_at')
