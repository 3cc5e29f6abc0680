"""word filter per session

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:27:24.062078

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('word_filter', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('feedback_session', schema=None) as batch_op:
        batch_op.drop_column('word_filter')

