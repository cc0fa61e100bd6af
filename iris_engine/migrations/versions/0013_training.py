"""Training (issue #12): versioned courses, the detail of session and enrolment cases, learners
(name and e-mail sealed, found again by a keyed digest) and certificates as issued (what they
certified copied, the learner's name sealed, a place in the revocation status list).

Revision ID: 0013
Revises: 0011
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('training_learner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_sealed', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email_sealed', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('organisation_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('sector', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('link_token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('erased_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('link_token_hash')
    )
    with op.batch_alter_table('training_learner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_learner_email_digest'), ['email_digest'])
        batch_op.create_index(batch_op.f('ix_training_learner_organisation_id'), ['organisation_id'])

    op.create_table('training_course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('audiences', sa.JSON(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('active_minutes', sa.Integer(), nullable=False),
    sa.Column('cpd_hours', sa.Float(), nullable=False),
    sa.Column('attendance_threshold', sa.Integer(), nullable=False),
    sa.Column('pass_mark', sa.Integer(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
    sa.Column('accreditation_prerequisite', sa.Boolean(), nullable=False),
    sa.Column('certificate_validity', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'version', name='uq_training_course_version')
    )
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_course_key'), ['key'])

    op.create_table('training_certificate',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('enrolment_case_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('course_key', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('course_title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('cpd_hours', sa.Float(), nullable=False),
    sa.Column('provider_reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('awarded_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('learner_name_sealed', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('superseded_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], ),
    sa.ForeignKeyConstraint(['enrolment_case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['learner_id'], ['training_learner.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('status_index')
    )
    with op.batch_alter_table('training_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_certificate_course_id'), ['course_id'])
        batch_op.create_index(batch_op.f('ix_training_certificate_course_key'), ['course_key'])
        batch_op.create_index(batch_op.f('ix_training_certificate_enrolment_case_id'), ['enrolment_case_id'])
        batch_op.create_index(batch_op.f('ix_training_certificate_learner_id'), ['learner_id'])
        batch_op.create_index(batch_op.f('ix_training_certificate_organisation_id'), ['organisation_id'])

    op.create_table('training_enrolment',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('session_case_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('enrolled_by', sa.Integer(), nullable=True),
    sa.Column('confirmation_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('waitlisted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('minutes_present', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['enrolled_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['learner_id'], ['training_learner.id'], ),
    sa.ForeignKeyConstraint(['session_case_id'], ['case_file.id'], ),
    sa.PrimaryKeyConstraint('case_id')
    )
    with op.batch_alter_table('training_enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_enrolment_learner_id'), ['learner_id'])
        batch_op.create_index('ix_training_enrolment_queue', ['session_case_id', 'waitlisted_at', 'case_id'])

    op.create_table('training_session',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ends_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('venue', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('trainer_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], ),
    sa.ForeignKeyConstraint(['trainer_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('case_id')
    )
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_session_course_id'), ['course_id'])
        batch_op.create_index(batch_op.f('ix_training_session_starts_at'), ['starts_at'])
        batch_op.create_index(batch_op.f('ix_training_session_trainer_id'), ['trainer_id'])



def downgrade() -> None:
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_session_trainer_id'))
        batch_op.drop_index(batch_op.f('ix_training_session_starts_at'))
        batch_op.drop_index(batch_op.f('ix_training_session_course_id'))

    op.drop_table('training_session')
    with op.batch_alter_table('training_enrolment', schema=None) as batch_op:
        batch_op.drop_index('ix_training_enrolment_queue')
        batch_op.drop_index(batch_op.f('ix_training_enrolment_learner_id'))

    op.drop_table('training_enrolment')
    with op.batch_alter_table('training_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_certificate_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_training_certificate_learner_id'))
        batch_op.drop_index(batch_op.f('ix_training_certificate_enrolment_case_id'))
        batch_op.drop_index(batch_op.f('ix_training_certificate_course_key'))
        batch_op.drop_index(batch_op.f('ix_training_certificate_course_id'))

    op.drop_table('training_certificate')
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_course_key'))

    op.drop_table('training_course')
    with op.batch_alter_table('training_learner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_learner_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_training_learner_email_digest'))

    op.drop_table('training_learner')
