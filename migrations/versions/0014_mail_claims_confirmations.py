"""mail, practitioners' own links and confirmations, proposed changes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 22:53:41.231478

outgoing_mail is the queue `send-mail` delivers; claim_link the single-use links a listing's
email receives; listing_change what practitioners propose; confirmation_request the
confirm-or-update request before each re-vetting date. Submissions and problem reports
remember the language to answer in.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outgoing_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('list_unsubscribe', sa.String(length=500), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('send_after', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('transport', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id')
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_mail_send_after'), ['send_after'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_mail_sent_at'), ['sent_at'], unique=False)

    op.create_table('claim_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=12), nullable=False),
    sa.Column('email_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('answer', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('nonce')
    )
    with op.batch_alter_table('claim_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_link_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_link_email_digest'), ['email_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_link_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('confirmation_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('flagged_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('confirmation_request', schema=None) as batch_op:
        batch_op.create_index('ix_confirmation_period', ['practitioner_id', 'period'], unique=True)
        batch_op.create_index(batch_op.f('ix_confirmation_request_flagged_at'), ['flagged_at'], unique=False)

    op.create_table('listing_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('proposed', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=254), nullable=True),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('listing_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_change_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_change_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_change_practitioner_id'), ['practitioner_id'], unique=False)

    # Plain ADD COLUMN (SQLite has it): a batch would copy the tables and lose their CHECKs.
    op.add_column('listing_report', sa.Column('language', sa.String(length=8), nullable=False,
                                              server_default='en'))
    op.add_column('practitioner', sa.Column('listing_confirmed_on', sa.Date(), nullable=True))
    op.add_column('practitioner', sa.Column('mail_opt_out', sa.Boolean(), nullable=False,
                                            server_default=sa.false()))
    # A claim-link request finds the listings with an email whatever its case, by index.
    op.create_index('ix_practitioner_email_lower', 'practitioner', [sa.text('lower(email)')])
    op.add_column('submission', sa.Column('notify', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.add_column('submission', sa.Column('language', sa.String(length=8), nullable=False,
                                          server_default='en'))


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('language')
        batch_op.drop_column('notify')

    op.drop_index('ix_practitioner_email_lower', 'practitioner')
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_column('mail_opt_out')
        batch_op.drop_column('listing_confirmed_on')

    with op.batch_alter_table('listing_report', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('listing_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_change_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_listing_change_decided_at'))
        batch_op.drop_index(batch_op.f('ix_listing_change_created_at'))

    op.drop_table('listing_change')
    with op.batch_alter_table('confirmation_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_confirmation_request_flagged_at'))
        batch_op.drop_index('ix_confirmation_period')

    op.drop_table('confirmation_request')
    with op.batch_alter_table('claim_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_link_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_claim_link_email_digest'))
        batch_op.drop_index(batch_op.f('ix_claim_link_created_at'))

    op.drop_table('claim_link')
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_sent_at'))
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_send_after'))

    op.drop_table('outgoing_mail')
