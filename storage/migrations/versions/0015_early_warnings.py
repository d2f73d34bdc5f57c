"""early warnings

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 11:30:00

Early warnings of a campaign (a drop since the last comparable campaign,
Incompetent votes, integrity, completion near the deadline, window bursts),
each kept once by its fingerprint so HR's chats get it once.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('earlywarning',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('campaign_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('first_seen_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('fingerprint')
    )
    with op.batch_alter_table('earlywarning', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_earlywarning_campaign_id'), ['campaign_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('earlywarning', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_earlywarning_campaign_id'))

    op.drop_table('earlywarning')
