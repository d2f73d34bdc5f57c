"""performance indicators

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 09:00:00

HR's per-cadre performance indicators (实绩) of a campaign: target, actual,
unit, weight and whether higher or lower is better.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('performanceindicator',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('campaign_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('cadre_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('actual', sa.Float(), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('imported_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'cadre_id', 'name')
    )
    with op.batch_alter_table('performanceindicator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performanceindicator_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_performanceindicator_campaign_id'), ['campaign_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('performanceindicator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_performanceindicator_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_performanceindicator_cadre_id'))

    op.drop_table('performanceindicator')
