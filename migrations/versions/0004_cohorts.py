"""cohorts: trainers, members, assigned modules, strategy shares

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:02:37.476319

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cohort',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('join_code', sa.String(length=16), nullable=False),
    sa.Column('join_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_cohort_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort')),
    sa.UniqueConstraint('join_code', name=op.f('uq_cohort_join_code'))
    )
    op.create_table('cohort_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_cohort_member_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_cohort_member_municipality_id_municipality'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_cohort_member_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_member')),
    sa.UniqueConstraint('cohort_id', 'user_id', name=op.f('uq_cohort_member_cohort_id'))
    )
    with op.batch_alter_table('cohort_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_member_user_id'), ['user_id'], unique=False)

    op.create_table('cohort_module',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('module_key', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_cohort_module_cohort_id_cohort'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_module')),
    sa.UniqueConstraint('cohort_id', 'module_key', name=op.f('uq_cohort_module_cohort_id'))
    )
    op.create_table('cohort_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('shared_by_id', sa.Integer(), nullable=True),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_cohort_share_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_cohort_share_municipality_id_municipality'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shared_by_id'], ['user.id'], name=op.f('fk_cohort_share_shared_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_share')),
    sa.UniqueConstraint('cohort_id', 'municipality_id', name=op.f('uq_cohort_share_cohort_id'))
    )
    op.create_table('cohort_trainer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_cohort_trainer_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_cohort_trainer_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_trainer')),
    sa.UniqueConstraint('cohort_id', 'user_id', name=op.f('uq_cohort_trainer_cohort_id'))
    )
    with op.batch_alter_table('cohort_trainer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_trainer_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('cohort_trainer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_trainer_user_id'))

    op.drop_table('cohort_trainer')
    op.drop_table('cohort_share')
    op.drop_table('cohort_module')
    with op.batch_alter_table('cohort_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_member_user_id'))

    op.drop_table('cohort_member')
    op.drop_table('cohort')
