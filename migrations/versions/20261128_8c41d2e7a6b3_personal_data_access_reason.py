"""The reason given for revealing a hidden requester's contact, kept in the audit log

Revision ID: 8c41d2e7a6b3
Revises: 5d1e7a3b9c20
Create Date: 2026-11-28 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c41d2e7a6b3'
down_revision = '5d1e7a3b9c20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('personal_data_access') as batch:
        batch.add_column(sa.Column('reason', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('personal_data_access') as batch:
        batch.drop_column('reason')
