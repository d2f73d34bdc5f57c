"""barring situations and tier of post per campaign cadre

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-01 08:30:00

HR marks a cadre, for one campaign, with the situations the rules list as
barring a grade (under investigation: no grade; a sanction in effect: not
Excellent) and with the tier of post whose Excellent quota the cadre counts in.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.models


revision = '0013'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cadremark',
    sa.Column('campaign_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('cadre_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('campaign_id', 'cadre_id')
    )


def downgrade() -> None:
    op.drop_table('cadremark')
