"""second sign-in factor, one ballot per public code

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 07:00:00

HR accounts may turn on a TOTP second factor with one-time recovery codes
(hashed).  Public channels remember which rotating codes were scanned and
spent, so one scan admits one ballot.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hruser', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('recovery_hashes', sa.JSON(), nullable=False, server_default='[]'))

    op.create_table('publiccodeuse',
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('window', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('spent', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['publicchannel.id'], ),
    sa.PrimaryKeyConstraint('channel_id', 'window', 'serial')
    )


def downgrade() -> None:
    op.drop_table('publiccodeuse')
    with op.batch_alter_table('hruser', schema=None) as batch_op:
        batch_op.drop_column('recovery_hashes')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
