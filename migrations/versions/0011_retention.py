"""Retention of sessions and walls: a period in months (null: RETENTION_MONTHS), anonymise or
delete when it is over, and when it was anonymised

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ('feedback_session', 'wall')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('retention_months', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('retention_action', sa.String(length=10), nullable=False,
                                          server_default='anonymise'))
            batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('anonymised_at')
            batch_op.drop_column('retention_action')
            batch_op.drop_column('retention_months')
