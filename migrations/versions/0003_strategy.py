"""strategy workspace: worksheets, revisions, drafts, audit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:40:37.533721

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('section_slug', sa.String(length=80), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_event_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_audit_event_municipality_id_municipality'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('strategy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_strategy_municipality_id_municipality'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy')),
    sa.UniqueConstraint('municipality_id', name=op.f('uq_strategy_municipality_id'))
    )
    op.create_table('worksheet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategy_id', sa.Integer(), nullable=False),
    sa.Column('section_slug', sa.String(length=80), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['strategy_id'], ['strategy.id'], name=op.f('fk_worksheet_strategy_id_strategy'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_worksheet_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worksheet')),
    sa.UniqueConstraint('strategy_id', 'section_slug', name=op.f('uq_worksheet_strategy_id'))
    )
    op.create_table('worksheet_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worksheet_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_worksheet_draft_user_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worksheet_id'], ['worksheet.id'], name=op.f('fk_worksheet_draft_worksheet_id_worksheet'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worksheet_draft')),
    sa.UniqueConstraint('worksheet_id', 'user_id', name=op.f('uq_worksheet_draft_worksheet_id'))
    )
    op.create_table('worksheet_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worksheet_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('save_id', sa.String(length=64), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('restored_from', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_worksheet_revision_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['worksheet_id'], ['worksheet.id'], name=op.f('fk_worksheet_revision_worksheet_id_worksheet'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worksheet_revision')),
    sa.UniqueConstraint('save_id', name=op.f('uq_worksheet_revision_save_id')),
    sa.UniqueConstraint('worksheet_id', 'version', name=op.f('uq_worksheet_revision_worksheet_id'))
    )
    with op.batch_alter_table('worksheet_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worksheet_revision_worksheet_id'), ['worksheet_id'], unique=False)



def downgrade():
    with op.batch_alter_table('worksheet_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worksheet_revision_worksheet_id'))

    op.drop_table('worksheet_revision')
    op.drop_table('worksheet_draft')
    op.drop_table('worksheet')
    op.drop_table('strategy')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_municipality_id'))

    op.drop_table('audit_event')
