"""Canvas items in feedback sessions: the stage and the phones follow a canvas live

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 13:16:27.054123

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('canvas_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_feedback_item_canvas_id_canvas'), 'canvas', ['canvas_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('feedback_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_feedback_item_canvas_id_canvas'), type_='foreignkey')
        batch_op.drop_column('canvas_id')
