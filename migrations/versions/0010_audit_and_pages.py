"""Audit log (never edited: triggers refuse UPDATE and DELETE), site pages, accessibility reports,
and why a session asks participants for a name (feedback_session.identity_reason)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The guard as it stands in this revision (a copy of board/audit/models.py, so that later model
# changes do not rewrite history).
SQLITE_GUARD = (
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
WHEN NOT (NEW.actor_id IS NULL AND NEW.id IS OLD.id AND NEW.at IS OLD.at
          AND NEW.actor_label IS OLD.actor_label AND NEW.action IS OLD.action
          AND NEW.target IS OLD.target AND NEW.summary IS OLD.summary AND NEW.details IS OLD.details)
BEGIN SELECT RAISE(ABORT, 'audit entries are never edited'); END""",
    """CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
BEGIN SELECT RAISE(ABORT, 'audit entries are never deleted'); END""",
)
POSTGRES_GUARD = (
    """CREATE OR REPLACE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- ON DELETE SET NULL of the account: the label keeps who it was
    END IF;
    RAISE EXCEPTION 'audit entries are never edited or deleted' USING ERRCODE = 'insufficient_privilege';
END $$""",
    """CREATE TRIGGER audit_entry_guard BEFORE UPDATE OR DELETE ON audit_entry
FOR EACH ROW EXECUTE FUNCTION audit_entry_guard()""",
)


def upgrade():
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=400), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target', sa.String(length=120), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_entry_actor_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_GUARD, "postgresql": POSTGRES_GUARD}.get(dialect, ()):
        op.execute(statement)

    op.create_table('site_page',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['user.id'], name=op.f('fk_site_page_updated_by_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_site_page'))
    )
    op.create_table('accessibility_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('page', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accessibility_report'))
    )
    with op.batch_alter_table('accessibility_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accessibility_report_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('feedback_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_reason', sa.String(length=300), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('feedback_session', schema=None) as batch_op:
        batch_op.drop_column('identity_reason')
    with op.batch_alter_table('accessibility_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accessibility_report_created_at'))
    op.drop_table('accessibility_report')
    op.drop_table('site_page')
    # Dropping the table drops its triggers (on both databases); the function stays on PostgreSQL.
    op.drop_table('audit_entry')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_entry_guard()")
