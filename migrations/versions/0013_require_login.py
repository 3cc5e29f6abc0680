"""Sessions that require login; answers no longer linked to members' accounts

Adds feedback_session.require_login. Clears the account link of existing session participants
(answers are anonymous, also a logged-in member's) and the e-mail addresses that a member without
a name signed wall notes with (a note showed it to everyone on the wall).

Revision ID: 0013_require_login
Revises: 0012_login_sessions
Create Date: 2026-12-03 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_require_login'
down_revision = '0012_login_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_login', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE feedback_participant SET user_id = NULL WHERE user_id IS NOT NULL")
    op.execute('UPDATE wall_note SET author_name = \'\' WHERE user_id IS NOT NULL AND author_name <> \'\' '
               'AND lower(author_name) = (SELECT lower(email) FROM "user" WHERE "user".id = wall_note.user_id)')


def downgrade():
    # The cleared account links and signatures are not restored: they should never have been stored.
    with op.batch_alter_table('feedback_session', schema=None) as batch_op:
        batch_op.drop_column('require_login')
