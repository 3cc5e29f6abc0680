"""Feedback to walls: wall items in sessions; answers and Q&A questions carried to a wall as notes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:19:26.578918

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback_answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wall_note_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_feedback_answer_wall_note_id_wall_note'), 'wall_note', ['wall_note_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('feedback_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wall_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_feedback_item_wall_id_wall'), 'wall', ['wall_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('feedback_qa_question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wall_note_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_feedback_qa_question_wall_note_id_wall_note'), 'wall_note', ['wall_note_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('feedback_qa_question', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_feedback_qa_question_wall_note_id_wall_note'), type_='foreignkey')
        batch_op.drop_column('wall_note_id')

    with op.batch_alter_table('feedback_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_feedback_item_wall_id_wall'), type_='foreignkey')
        batch_op.drop_column('wall_id')

    with op.batch_alter_table('feedback_answer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_feedback_answer_wall_note_id_wall_note'), type_='foreignkey')
        batch_op.drop_column('wall_note_id')
