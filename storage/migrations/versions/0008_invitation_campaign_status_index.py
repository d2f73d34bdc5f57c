"""invitations indexed by campaign and status

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 08:00:00

A reminder wave looks up the campaign's pending invitations; with the index
on the campaign alone PostgreSQL read every invitation of the campaign to
keep the pending ones.  The index on (campaign, status) serves that lookup
and every lookup by campaign, so it replaces the campaign-only one.
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(
            'ix_invitation_campaign_id_status', ['campaign_id', 'status'], unique=False
        )
        batch_op.drop_index(batch_op.f('ix_invitation_campaign_id'))


def downgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_campaign_id'), ['campaign_id'], unique=False)
        batch_op.drop_index('ix_invitation_campaign_id_status')
