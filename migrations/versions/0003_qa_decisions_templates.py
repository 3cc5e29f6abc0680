"""Q&A, decision rounds, templates, held answers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:20:12.104710

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feedback_qa_question',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('held', sa.Boolean(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['user.id'], name=op.f('fk_feedback_qa_question_hidden_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['feedback_item.id'], name=op.f('fk_feedback_qa_question_item_id_feedback_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['feedback_participant.id'], name=op.f('fk_feedback_qa_question_participant_id_feedback_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_qa_question'))
    )
    op.create_table('feedback_decision_vote',
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('vote', sa.String(length=6), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("vote IN ('ja', 'nej', 'avstar')", name=op.f('ck_feedback_decision_vote_vote')),
    sa.ForeignKeyConstraint(['option_id'], ['feedback_option.id'], name=op.f('fk_feedback_decision_vote_option_id_feedback_option'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_feedback_decision_vote_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_decision_vote')),
    sa.UniqueConstraint('option_id', 'user_id', name=op.f('uq_feedback_decision_vote_option_id_user_id'))
    )
    op.create_table('feedback_qa_vote',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['feedback_participant.id'], name=op.f('fk_feedback_qa_vote_participant_id_feedback_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['feedback_qa_question.id'], name=op.f('fk_feedback_qa_vote_question_id_feedback_qa_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_qa_vote')),
    sa.UniqueConstraint('question_id', 'participant_id', name=op.f('uq_feedback_qa_vote_question_id_participant_id'))
    )
    with op.batch_alter_table('feedback_answer', schema=None) as batch_op:
        # Existing rows get false; new rows get the model's default.
        batch_op.add_column(sa.Column('held', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('feedback_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_template', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('feedback_session', schema=None) as batch_op:
        batch_op.drop_column('is_template')

    with op.batch_alter_table('feedback_answer', schema=None) as batch_op:
        batch_op.drop_column('held')

    op.drop_table('feedback_qa_vote')
    op.drop_table('feedback_decision_vote')
    op.drop_table('feedback_qa_question')
