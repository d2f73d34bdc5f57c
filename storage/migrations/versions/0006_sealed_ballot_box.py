"""sealed ballot box

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 06:00:00

The inbox and its mixer give way to a sealed ballot box: ballots are stored
encrypted (``sealedballot``) until the box is opened once at close.  Ballots
still waiting in an old inbox cannot be sealed after the fact; an upgrade
refuses to run while any wait (close and mix the campaign on the old
version first).  Chat drafts are kept encrypted; old plain drafts are
dropped (the raters continue from the first question).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    waiting = op.get_bind().execute(sa.text("SELECT count(*) FROM inboxballot")).scalar()
    if waiting:
        raise RuntimeError(
            f"{waiting} ballot rows still wait in the old inbox: mix them with the previous "
            "version (cadre results on a closed campaign) before upgrading"
        )
    op.create_table('sealedballot',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('campaign_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sealedballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealedballot_campaign_id'), ['campaign_id'], unique=False)

    with op.batch_alter_table('inboxballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inboxballot_ballot_id'))
        batch_op.drop_index(batch_op.f('ix_inboxballot_cadre_id'))
        batch_op.drop_index(batch_op.f('ix_inboxballot_campaign_id'))
    op.drop_table('inboxballot')

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('box_public_key', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('box_custody', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='keyfile'))
        batch_op.add_column(sa.Column('box_quorum', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('box_share_digests', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('box_opened_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    # Campaigns from before the box were collected through the mixer: they count as opened.
    op.execute("UPDATE campaign SET box_opened_at = closed_done_at WHERE closed_done_at IS NOT NULL")

    op.execute("DELETE FROM chatdraft")
    with op.batch_alter_table('chatdraft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=False))
        batch_op.drop_column('answers')


def downgrade() -> None:
    op.execute("DELETE FROM chatdraft")
    with op.batch_alter_table('chatdraft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers', sa.JSON(), nullable=False))
        batch_op.drop_column('sealed')

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('box_opened_at')
        batch_op.drop_column('box_share_digests')
        batch_op.drop_column('box_quorum')
        batch_op.drop_column('box_custody')
        batch_op.drop_column('box_public_key')

    op.create_table('inboxballot',
    sa.Column('campaign_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('cadre_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('group', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('vote', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ballot_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inboxballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inboxballot_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inboxballot_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inboxballot_campaign_id'), ['campaign_id'], unique=False)

    with op.batch_alter_table('sealedballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealedballot_campaign_id'))
    op.drop_table('sealedballot')
