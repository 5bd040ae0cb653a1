"""practitioner: what a patient needs to decide, each group with the date it was confirmed

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:00:00.000000

Availability, fees, diagnostics, surgery, bedside access, telehealth countries and travel
support (finder.details). Every column is optional: existing listings say nothing yet.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TEXT = [('accepting_new_patients', 10), ('fee_currency', 3), ('insurance', 500),
        ('diagnostics', 100), ('surgery_approach', 10), ('surgery_implants', 300),
        ('surgery_volume', 10), ('industry_ties', 1000), ('access', 100),
        ('telehealth_countries', 800), ('interpreter_languages', 300)]
WHOLE = ['wait_weeks', 'fee_min', 'fee_max', 'stay_days']
YES_NO = ['self_pay', 'international_office', 'visa_letter']
DATES = ['availability_confirmed_on', 'fees_confirmed_on', 'diagnostics_confirmed_on',
         'surgery_confirmed_on', 'access_confirmed_on', 'telehealth_countries_confirmed_on',
         'travel_confirmed_on']


def upgrade():
    with op.batch_alter_table('practitioner') as batch:
        for name, length in TEXT:
            batch.add_column(sa.Column(name, sa.String(length), nullable=False,
                                       server_default=''))
        for name in WHOLE:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
        for name in YES_NO:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=True))
        for name in DATES:
            batch.add_column(sa.Column(name, sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('practitioner') as batch:
        for name in [n for n, _ in TEXT] + WHOLE + YES_NO + DATES:
            batch.drop_column(name)
