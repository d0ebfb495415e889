"""tickets.parent_id is indexed only where it is set: a full index of a column NULL on almost
every row let PostgreSQL, without fresh statistics, AND it into the caller lookup's
"parent_id IS NULL" and walk every ticket

Revision ID: c7d2e9a1f3b6
Revises: b5e8d1c4a7f2
Create Date: 2026-11-29 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c7d2e9a1f3b6'
down_revision = 'b5e8d1c4a7f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets') as batch:
        batch.drop_index('ix_tickets_parent_id')
        batch.create_index(
            'ix_tickets_parent_id',
            ['parent_id'],
            unique=False,
            postgresql_where=sa.text('parent_id IS NOT NULL'),
            sqlite_where=sa.text('parent_id IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('tickets') as batch:
        batch.drop_index('ix_tickets_parent_id')
        batch.create_index('ix_tickets_parent_id', ['parent_id'], unique=False)
