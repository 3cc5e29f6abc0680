"""feedback sessions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:17:33.417779

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feedback_session',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('initiative_id', sa.Integer(), nullable=True),
    sa.Column('pacing', sa.String(length=10), nullable=False),
    sa.Column('ask_name', sa.Boolean(), nullable=False),
    sa.Column('ask_organisation', sa.Boolean(), nullable=False),
    sa.Column('current_item_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("pacing IN ('presenter', 'self')", name=op.f('ck_feedback_session_pacing')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_feedback_session_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], name=op.f('fk_feedback_session_initiative_id_initiative'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_session')),
    sa.UniqueConstraint('code', name=op.f('uq_feedback_session_code'))
    )
    op.create_table('feedback_item',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=True),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('results_hidden', sa.Boolean(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], name=op.f('fk_feedback_item_initiative_id_initiative'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['feedback_session.id'], name=op.f('fk_feedback_item_session_id_feedback_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_item'))
    )
    op.create_table('feedback_participant',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('organisation', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['feedback_session.id'], name=op.f('fk_feedback_participant_session_id_feedback_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_feedback_participant_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_participant')),
    sa.UniqueConstraint('session_id', 'token_hash', name=op.f('uq_feedback_participant_session_id_token_hash'))
    )
    op.create_table('feedback_answer',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['user.id'], name=op.f('fk_feedback_answer_hidden_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['feedback_item.id'], name=op.f('fk_feedback_answer_item_id_feedback_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['feedback_participant.id'], name=op.f('fk_feedback_answer_participant_id_feedback_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_answer')),
    sa.UniqueConstraint('item_id', 'participant_id', name=op.f('uq_feedback_answer_item_id_participant_id'))
    )
    op.create_table('feedback_option',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['feedback_item.id'], name=op.f('fk_feedback_option_item_id_feedback_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_option'))
    )
    # The session points at its current item and items point at their session: add this
    # foreign key once both tables exist (batch mode recreates the table on SQLite).
    with op.batch_alter_table('feedback_session') as batch_op:
        batch_op.create_foreign_key(op.f('fk_feedback_session_current_item_id_feedback_item'), 'feedback_item',
                                    ['current_item_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('feedback_session') as batch_op:
        batch_op.drop_constraint(op.f('fk_feedback_session_current_item_id_feedback_item'), type_='foreignkey')
    op.drop_table('feedback_option')
    op.drop_table('feedback_answer')
    op.drop_table('feedback_participant')
    op.drop_table('feedback_item')
    op.drop_table('feedback_session')
