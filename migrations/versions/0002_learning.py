"""learning progress, quiz attempts, readiness and notes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:33:51.546342

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('module_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_key', sa.String(length=200), nullable=False),
    sa.Column('steps_seen', sa.Integer(), nullable=False),
    sa.Column('last_step_key', sa.String(length=200), nullable=True),
    sa.Column('quiz_passed', sa.Boolean(), nullable=False),
    sa.Column('best_score', sa.Integer(), nullable=True),
    sa.Column('latest_score', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_module_progress_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_progress')),
    sa.UniqueConstraint('user_id', 'module_key', name=op.f('uq_module_progress_user_id'))
    )
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_progress_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_module_progress_user_id'), ['user_id'], unique=False)

    op.create_table('quiz_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_key', sa.String(length=200), nullable=False),
    sa.Column('layout', sa.JSON(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=True),
    sa.Column('correct_count', sa.Integer(), nullable=True),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_quiz_attempt_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempt'))
    )
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempt_module_key'), ['module_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_attempt_user_id'), ['user_id'], unique=False)

    op.create_table('readiness_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_readiness_assessment_municipality_id_municipality'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_readiness_assessment_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_assessment'))
    )
    with op.batch_alter_table('readiness_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_assessment_user_id'), ['user_id'], unique=False)

    op.create_table('reflection_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_key', sa.String(length=200), nullable=False),
    sa.Column('prompt_number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_reflection_note_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reflection_note')),
    sa.UniqueConstraint('user_id', 'module_key', 'prompt_number', name=op.f('uq_reflection_note_user_id'))
    )
    with op.batch_alter_table('reflection_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reflection_note_user_id'), ['user_id'], unique=False)

    op.create_table('step_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('step_key', sa.String(length=200), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_step_progress_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_progress')),
    sa.UniqueConstraint('user_id', 'step_key', name=op.f('uq_step_progress_user_id'))
    )


def downgrade():
    op.drop_table('step_progress')
    with op.batch_alter_table('reflection_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reflection_note_user_id'))

    op.drop_table('reflection_note')
    with op.batch_alter_table('readiness_assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_assessment_user_id'))

    op.drop_table('readiness_assessment')
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_user_id'))
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_module_key'))

    op.drop_table('quiz_attempt')
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_progress_user_id'))
        batch_op.drop_index(batch_op.f('ix_module_progress_updated_at'))

    op.drop_table('module_progress')
