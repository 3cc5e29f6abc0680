"""walls: walls, sections, notes, reactions, party positions, dot votes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:06:10.521549

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wall',
    sa.Column('initiative_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=6), nullable=True),
    sa.Column('notes_hidden', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('authors_hidden', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('locked', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('initiative', 'portfolio', 'free')", name=op.f('ck_wall_kind')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_wall_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], name=op.f('fk_wall_initiative_id_initiative'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wall')),
    sa.UniqueConstraint('code', name=op.f('uq_wall_code')),
    sa.UniqueConstraint('initiative_id', name=op.f('uq_wall_initiative_id'))
    )
    op.create_table('wall_dot_vote',
    sa.Column('wall_id', sa.Integer(), nullable=False),
    sa.Column('dots_per_person', sa.Integer(), nullable=False),
    sa.Column('max_per_note', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('dots_per_person BETWEEN 1 AND 20', name=op.f('ck_wall_dot_vote_dots_per_person')),
    sa.CheckConstraint('max_per_note BETWEEN 1 AND dots_per_person', name=op.f('ck_wall_dot_vote_max_per_note')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_wall_dot_vote_opened_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['wall_id'], ['wall.id'], name=op.f('fk_wall_dot_vote_wall_id_wall'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wall_dot_vote'))
    )
    with op.batch_alter_table('wall_dot_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wall_dot_vote_wall_id'), ['wall_id'], unique=False)

    op.create_table('wall_section',
    sa.Column('wall_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['wall_id'], ['wall.id'], name=op.f('fk_wall_section_wall_id_wall'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wall_section'))
    )
    with op.batch_alter_table('wall_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wall_section_wall_id'), ['wall_id'], unique=False)

    op.create_table('wall_note',
    sa.Column('wall_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_name', sa.String(length=120), nullable=False),
    sa.Column('author_org', sa.String(length=20), nullable=False),
    sa.Column('colour', sa.String(length=10), nullable=False),
    sa.Column('author_token_hash', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_kind', sa.String(length=10), nullable=False),
    sa.Column('source_session_id', sa.Integer(), nullable=True),
    sa.Column('source_label', sa.String(length=500), nullable=False),
    sa.Column('source_date', sa.Date(), nullable=True),
    sa.Column('revealed', sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('status_by_id', sa.Integer(), nullable=True),
    sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_reason', sa.String(length=300), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("colour IN ('gul', 'rosa', 'bla', 'gron', 'lila')", name=op.f('ck_wall_note_colour')),
    sa.CheckConstraint("source_kind IN ('wall', 'session')", name=op.f('ck_wall_note_source_kind')),
    sa.CheckConstraint("status IN ('ny', 'behandlad', 'atgard', 'parkerad')", name=op.f('ck_wall_note_status')),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['user.id'], name=op.f('fk_wall_note_deleted_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['user.id'], name=op.f('fk_wall_note_hidden_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['wall_note.id'], name=op.f('fk_wall_note_parent_id_wall_note'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['wall_section.id'], name=op.f('fk_wall_note_section_id_wall_section'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['status_by_id'], ['user.id'], name=op.f('fk_wall_note_status_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_wall_note_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['wall_id'], ['wall.id'], name=op.f('fk_wall_note_wall_id_wall'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wall_note'))
    )
    with op.batch_alter_table('wall_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wall_note_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_wall_note_wall_id_section_id', ['wall_id', 'section_id'], unique=False)

    op.create_table('wall_position',
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_wall_position_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['wall_section.id'], name=op.f('fk_wall_position_section_id_wall_section'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_wall_position_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wall_position')),
    sa.UniqueConstraint('section_id', 'organisation_id', name=op.f('uq_wall_position_section_id_organisation_id'))
    )
    op.create_table('wall_dot',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('voter', sa.String(length=72), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('note_slot', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('note_slot >= 1', name=op.f('ck_wall_dot_note_slot')),
    sa.CheckConstraint('slot >= 1', name=op.f('ck_wall_dot_slot')),
    sa.ForeignKeyConstraint(['note_id'], ['wall_note.id'], name=op.f('fk_wall_dot_note_id_wall_note'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['wall_dot_vote.id'], name=op.f('fk_wall_dot_vote_id_wall_dot_vote'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wall_dot')),
    sa.UniqueConstraint('vote_id', 'voter', 'note_id', 'note_slot', name=op.f('uq_wall_dot_vote_id_voter_note_id_note_slot')),
    sa.UniqueConstraint('vote_id', 'voter', 'slot', name=op.f('uq_wall_dot_vote_id_voter_slot'))
    )
    with op.batch_alter_table('wall_dot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wall_dot_note_id'), ['note_id'], unique=False)

    op.create_table('wall_reaction',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('person', sa.String(length=72), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('haller-med', 'gillar', 'ide', 'fundering')", name=op.f('ck_wall_reaction_kind')),
    sa.ForeignKeyConstraint(['note_id'], ['wall_note.id'], name=op.f('fk_wall_reaction_note_id_wall_note'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_wall_reaction_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wall_reaction')),
    sa.UniqueConstraint('note_id', 'kind', 'person', name=op.f('uq_wall_reaction_note_id_kind_person'))
    )


def downgrade():
    op.drop_table('wall_reaction')
    with op.batch_alter_table('wall_dot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wall_dot_note_id'))

    op.drop_table('wall_dot')
    op.drop_table('wall_position')
    with op.batch_alter_table('wall_note', schema=None) as batch_op:
        batch_op.drop_index('ix_wall_note_wall_id_section_id')
        batch_op.drop_index(batch_op.f('ix_wall_note_parent_id'))

    op.drop_table('wall_note')
    with op.batch_alter_table('wall_section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wall_section_wall_id'))

    op.drop_table('wall_section')
    with op.batch_alter_table('wall_dot_vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wall_dot_vote_wall_id'))

    op.drop_table('wall_dot_vote')
    op.drop_table('wall')
