"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-12-01 20:10:36.167455
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=60), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('board_commentary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('scope_label', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=True),
    sa.Column('owner', sa.String(length=120), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('author', sa.String(length=60), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_commentary'))
    )
    with op.batch_alter_table('board_commentary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_commentary_period_start'), ['period_start'], unique=False)

    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_working', sa.Boolean(), nullable=False),
    sa.Column('working_days_to_date', sa.Integer(), nullable=False),
    sa.Column('working_days_before', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_days_working_days_to_date'), ['working_days_to_date'], unique=False)

    op.create_table('dataset_meta',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_dataset_meta'))
    )
    op.create_table('end_reasons',
    sa.Column('vocabulary', sa.String(length=4), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('description', sa.String(length=120), nullable=False),
    sa.Column('grouping', sa.String(length=20), nullable=True),
    sa.Column('sl002_class', sa.String(length=10), nullable=False),
    sa.Column('why', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.String(length=60), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('vocabulary', 'code', name=op.f('pk_end_reasons')),
    sa.UniqueConstraint('description', name=op.f('uq_end_reasons_description'))
    )
    op.create_table('epop_annex2_expectations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('expectation', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epop_annex2_expectations')),
    sa.UniqueConstraint('dimension', 'year', 'seq', name=op.f('uq_epop_annex2_expectations_dimension'))
    )
    op.create_table('epop_outcome_codes',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('printed_code', sa.String(length=40), nullable=False),
    sa.Column('group', sa.String(length=80), nullable=False),
    sa.Column('level', sa.String(length=40), nullable=False),
    sa.Column('section', sa.String(length=40), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_epop_outcome_codes'))
    )
    op.create_table('epop_standards',
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_epop_standards'))
    )
    op.create_table('figure_settings',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=60), nullable=False),
    sa.Column('updated_by', sa.String(length=60), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_figure_settings'))
    )
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_by', sa.String(length=60), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_inserted', sa.Integer(), nullable=False),
    sa.Column('rows_updated', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('received_from', sa.Date(), nullable=True),
    sa.Column('received_to', sa.Date(), nullable=True),
    sa.Column('data_as_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batches_sha256'), ['sha256'], unique=False)

    op.create_table('kpi_daily_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grain', sa.String(length=10), nullable=False),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('event_kind', sa.String(length=20), nullable=True),
    sa.Column('cancelled', sa.Boolean(), nullable=True),
    sa.Column('negative_reason', sa.Boolean(), nullable=True),
    sa.Column('demand_unit_id', sa.Integer(), nullable=True),
    sa.Column('borough_id', sa.Integer(), nullable=True),
    sa.Column('hub_id', sa.Integer(), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('complexity', sa.String(length=6), nullable=True),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('met', sa.Integer(), nullable=False),
    sa.Column('mitigable', sa.Integer(), nullable=False),
    sa.Column('ended_if_due', sa.Integer(), nullable=False),
    sa.Column('ended_if_not_due', sa.Integer(), nullable=False),
    sa.Column('same_day', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), nullable=False),
    sa.Column('positive_same_day', sa.Integer(), nullable=False),
    sa.Column('negative_if_reason', sa.Integer(), nullable=False),
    sa.Column('negative_if_reason_same_day', sa.Integer(), nullable=False),
    sa.Column('eosr', sa.Integer(), nullable=False),
    sa.Column('eosr_outcome', sa.Integer(), nullable=False),
    sa.Column('met_shared', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_daily_counts'))
    )
    with op.batch_alter_table('kpi_daily_counts', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_daily_counts_grain_day', ['grain', 'day', 'measure'], unique=False)

    op.create_table('kpi_definitions',
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('trigger', sa.Float(), nullable=True),
    sa.Column('updated_by', sa.String(length=60), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_kpi_definitions'))
    )
    op.create_table('kpi_summary_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('data_version', sa.String(length=400), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=True),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_summary_state'))
    )
    op.create_table('local_authorities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('gss_code', sa.String(length=9), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_local_authorities')),
    sa.UniqueConstraint('name', name=op.f('uq_local_authorities_name'))
    )
    op.create_table('needs',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_needs')),
    sa.UniqueConstraint('name', name=op.f('uq_needs_name'))
    )
    op.create_table('providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_providers')),
    sa.UniqueConstraint('organisation_code', name=op.f('uq_providers_organisation_code'))
    )
    op.create_table('regions',
    sa.Column('code', sa.String(length=1), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions')),
    sa.UniqueConstraint('name', name=op.f('uq_regions_name'))
    )
    op.create_table('sign_in_throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_throttle'))
    )
    op.create_table('spc_rebases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi_code', sa.String(length=10), nullable=True),
    sa.Column('rebase_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('recorded_by', sa.String(length=60), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spc_rebases'))
    )
    op.create_table('boroughs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('gss_code', sa.String(length=9), nullable=False),
    sa.Column('local_authority_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authorities.id'], name=op.f('fk_boroughs_local_authority_id_local_authorities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boroughs')),
    sa.UniqueConstraint('gss_code', name=op.f('uq_boroughs_gss_code')),
    sa.UniqueConstraint('name', name=op.f('uq_boroughs_name'))
    )
    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('service', sa.String(length=160), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=1), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('needs_mapping', sa.Boolean(), nullable=False),
    sa.Column('subcontractors', sa.String(length=250), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_contracts_provider_id_providers')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_contracts_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('reference', name=op.f('uq_contracts_reference'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_provider_id'), ['provider_id'], unique=False)

    op.create_table('epop_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('region_code', sa.String(length=1), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('commencement_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('agreed_by_region_on', sa.Date(), nullable=True),
    sa.Column('agreed_centrally_on', sa.Date(), nullable=True),
    sa.Column('annex2_year_offset', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_epop_plans_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epop_plans'))
    )
    with op.batch_alter_table('epop_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epop_plans_region_code'), ['region_code'], unique=False)

    op.create_table('import_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(length=60), nullable=False),
    sa.Column('row_pk', sa.String(length=60), nullable=False),
    sa.Column('operation', sa.String(length=10), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_import_changes_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_changes'))
    )
    with op.batch_alter_table('import_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_changes_batch_id'), ['batch_id'], unique=False)

    op.create_table('pdus',
    sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('region_code', sa.String(length=1), nullable=False),
    sa.Column('annex_c_note', sa.Text(), nullable=True),
    sa.Column('pdu_set', sa.String(length=40), nullable=False),
    sa.Column('in_force_from', sa.Date(), nullable=True),
    sa.Column('in_force_to', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_pdus_region_code_regions')),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_pdus')),
    sa.UniqueConstraint('name', name=op.f('uq_pdus_name'))
    )
    with op.batch_alter_table('pdus', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pdus_region_code'), ['region_code'], unique=False)

    op.create_table('ram_regions',
    sa.Column('ram_code', sa.String(length=1), nullable=False),
    sa.Column('ram_name', sa.String(length=80), nullable=False),
    sa.Column('region_code', sa.String(length=1), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_ram_regions_region_code_regions')),
    sa.PrimaryKeyConstraint('ram_code', name=op.f('pk_ram_regions')),
    sa.UniqueConstraint('region_code', name=op.f('uq_ram_regions_region_code'))
    )
    op.create_table('unrecorded_first_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_unrecorded_first_sessions_import_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unrecorded_first_sessions'))
    )
    with op.batch_alter_table('unrecorded_first_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unrecorded_first_sessions_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unrecorded_first_sessions_referral_id'), ['referral_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=160), nullable=True),
    sa.Column('password_hash', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=1), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('token_version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_users_provider_id_providers')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_users_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('contract_boroughs',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('borough_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['borough_id'], ['boroughs.id'], name=op.f('fk_contract_boroughs_borough_id_boroughs')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_boroughs_contract_id_contracts')),
    sa.PrimaryKeyConstraint('contract_id', 'borough_id', name=op.f('pk_contract_boroughs'))
    )
    op.create_table('demand_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('borough_id', sa.Integer(), nullable=False),
    sa.Column('pdu_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['borough_id'], ['boroughs.id'], name=op.f('fk_demand_units_borough_id_boroughs')),
    sa.ForeignKeyConstraint(['pdu_number'], ['pdus.number'], name=op.f('fk_demand_units_pdu_number_pdus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demand_units')),
    sa.UniqueConstraint('name', name=op.f('uq_demand_units_name'))
    )
    with op.batch_alter_table('demand_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demand_units_borough_id'), ['borough_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_units_pdu_number'), ['pdu_number'], unique=False)

    op.create_table('epop_annex2_coverage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('expectation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['expectation_id'], ['epop_annex2_expectations.id'], name=op.f('fk_epop_annex2_coverage_expectation_id_epop_annex2_expectations')),
    sa.ForeignKeyConstraint(['plan_id'], ['epop_plans.id'], name=op.f('fk_epop_annex2_coverage_plan_id_epop_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epop_annex2_coverage'))
    )
    with op.batch_alter_table('epop_annex2_coverage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epop_annex2_coverage_plan_id'), ['plan_id'], unique=False)

    op.create_table('epop_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=True),
    sa.Column('length_minutes', sa.Integer(), nullable=True),
    sa.Column('staff_present', sa.Integer(), nullable=True),
    sa.Column('attendees', sa.Integer(), nullable=False),
    sa.Column('attendees_women', sa.Integer(), nullable=True),
    sa.Column('attendees_men', sa.Integer(), nullable=True),
    sa.Column('attendees_other_or_unknown', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['epop_plans.id'], name=op.f('fk_epop_sessions_plan_id_epop_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epop_sessions'))
    )
    with op.batch_alter_table('epop_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epop_sessions_plan_id'), ['plan_id'], unique=False)

    op.create_table('epop_standard_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('standard_code', sa.String(length=5), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('rating', sa.String(length=30), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['epop_plans.id'], name=op.f('fk_epop_standard_assessments_plan_id_epop_plans')),
    sa.ForeignKeyConstraint(['standard_code'], ['epop_standards.code'], name=op.f('fk_epop_standard_assessments_standard_code_epop_standards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epop_standard_assessments'))
    )
    with op.batch_alter_table('epop_standard_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epop_standard_assessments_plan_id'), ['plan_id'], unique=False)

    op.create_table('funding_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_funding_periods_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funding_periods'))
    )
    with op.batch_alter_table('funding_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funding_periods_contract_id'), ['contract_id'], unique=False)

    op.create_table('hubs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('borough_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=250), nullable=True),
    sa.Column('postcode', sa.String(length=10), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('co_located_services', sa.Text(), nullable=True),
    sa.Column('opening_pattern', sa.String(length=250), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['borough_id'], ['boroughs.id'], name=op.f('fk_hubs_borough_id_boroughs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hubs')),
    sa.UniqueConstraint('name', name=op.f('uq_hubs_name'))
    )
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hubs_borough_id'), ['borough_id'], unique=False)

    op.create_table('inspection_recommendations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('response', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['epop_plans.id'], name=op.f('fk_inspection_recommendations_plan_id_epop_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_recommendations'))
    )
    with op.batch_alter_table('inspection_recommendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_recommendations_plan_id'), ['plan_id'], unique=False)

    op.create_table('pdu_local_authorities',
    sa.Column('pdu_number', sa.Integer(), nullable=False),
    sa.Column('local_authority_id', sa.Integer(), nullable=False),
    sa.Column('is_part', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authorities.id'], name=op.f('fk_pdu_local_authorities_local_authority_id_local_authorities')),
    sa.ForeignKeyConstraint(['pdu_number'], ['pdus.number'], name=op.f('fk_pdu_local_authorities_pdu_number_pdus')),
    sa.PrimaryKeyConstraint('pdu_number', 'local_authority_id', name=op.f('pk_pdu_local_authorities'))
    )
    op.create_table('spend_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_spend_records_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend_records'))
    )
    with op.batch_alter_table('spend_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spend_records_contract_id'), ['contract_id'], unique=False)

    op.create_table('epop_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('printed_code', sa.String(length=40), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('com_b', sa.String(length=12), nullable=True),
    sa.Column('owner_role', sa.Text(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('recommendation_id', sa.Integer(), nullable=True),
    sa.Column('target_date_raw', sa.String(length=120), nullable=True),
    sa.Column('snapshot', sa.String(length=40), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['epop_plans.id'], name=op.f('fk_epop_actions_plan_id_epop_plans')),
    sa.ForeignKeyConstraint(['recommendation_id'], ['inspection_recommendations.id'], name=op.f('fk_epop_actions_recommendation_id_inspection_recommendations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epop_actions'))
    )
    with op.batch_alter_table('epop_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epop_actions_plan_id'), ['plan_id'], unique=False)

    op.create_table('forecasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('demand_unit_id', sa.Integer(), nullable=False),
    sa.Column('base_count', sa.Integer(), nullable=False),
    sa.Column('base_date', sa.Date(), nullable=False),
    sa.Column('pct_of_community', sa.Float(), nullable=True),
    sa.Column('predicted_low', sa.Integer(), nullable=False),
    sa.Column('predicted_high', sa.Integer(), nullable=False),
    sa.Column('period_days', sa.Integer(), nullable=False),
    sa.Column('source_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['demand_unit_id'], ['demand_units.id'], name=op.f('fk_forecasts_demand_unit_id_demand_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecasts')),
    sa.UniqueConstraint('demand_unit_id', 'base_date', name=op.f('uq_forecasts_demand_unit_id'))
    )
    with op.batch_alter_table('forecasts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forecasts_demand_unit_id'), ['demand_unit_id'], unique=False)

    op.create_table('pdu_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pdu_number', sa.Integer(), nullable=False),
    sa.Column('borough_id', sa.Integer(), nullable=False),
    sa.Column('demand_unit_id', sa.Integer(), nullable=True),
    sa.Column('in_force_from', sa.Date(), nullable=True),
    sa.Column('in_force_to', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['borough_id'], ['boroughs.id'], name=op.f('fk_pdu_areas_borough_id_boroughs')),
    sa.ForeignKeyConstraint(['demand_unit_id'], ['demand_units.id'], name=op.f('fk_pdu_areas_demand_unit_id_demand_units')),
    sa.ForeignKeyConstraint(['pdu_number'], ['pdus.number'], name=op.f('fk_pdu_areas_pdu_number_pdus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pdu_areas'))
    )
    with op.batch_alter_table('pdu_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pdu_areas_borough_id'), ['borough_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pdu_areas_pdu_number'), ['pdu_number'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.String(length=40), nullable=True),
    sa.Column('referral_ref', sa.String(length=40), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('caseworker_id', sa.String(length=60), nullable=True),
    sa.Column('service_user_crn', sa.String(length=20), nullable=True),
    sa.Column('referral_received_at', sa.DateTime(), nullable=True),
    sa.Column('saa_first_arranged_at', sa.DateTime(), nullable=True),
    sa.Column('saa_first_scheduled_for', sa.DateTime(), nullable=True),
    sa.Column('saa_first_not_attended_at', sa.DateTime(), nullable=True),
    sa.Column('saa_first_attended_at', sa.DateTime(), nullable=True),
    sa.Column('saa_first_completed_at', sa.DateTime(), nullable=True),
    sa.Column('saa_attended_on_time', sa.Boolean(), nullable=True),
    sa.Column('first_action_plan_submitted_at', sa.DateTime(), nullable=True),
    sa.Column('first_action_plan_approved_at', sa.DateTime(), nullable=True),
    sa.Column('first_attended_session_at', sa.DateTime(), nullable=True),
    sa.Column('outcomes_to_be_achieved_count', sa.Integer(), nullable=True),
    sa.Column('outcomes_achieved', sa.Float(), nullable=True),
    sa.Column('count_of_sessions_expected', sa.Integer(), nullable=True),
    sa.Column('count_of_sessions_attended', sa.Integer(), nullable=True),
    sa.Column('end_requested_by_pp_at', sa.DateTime(), nullable=True),
    sa.Column('end_requested_by_pp_reason', sa.String(length=160), nullable=True),
    sa.Column('eosr_submitted_at', sa.DateTime(), nullable=True),
    sa.Column('concluded_at', sa.DateTime(), nullable=True),
    sa.Column('referral_end_state', sa.String(length=20), nullable=True),
    sa.Column('intervention_to_be_completed_by', sa.Date(), nullable=True),
    sa.Column('end_of_sentence_date', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('saa_first_not_attended_on', sa.Date(), nullable=True),
    sa.Column('saa_first_attended_on', sa.Date(), nullable=True),
    sa.Column('action_plan_submitted_on', sa.Date(), nullable=True),
    sa.Column('action_plan_approved_on', sa.Date(), nullable=True),
    sa.Column('first_session_on', sa.Date(), nullable=True),
    sa.Column('eosr_submitted_on', sa.Date(), nullable=True),
    sa.Column('concluded_on', sa.Date(), nullable=True),
    sa.Column('borough_id', sa.Integer(), nullable=True),
    sa.Column('demand_unit_id', sa.Integer(), nullable=True),
    sa.Column('hub_id', sa.Integer(), nullable=True),
    sa.Column('referral_source', sa.String(length=60), nullable=True),
    sa.Column('complexity', sa.String(length=6), nullable=True),
    sa.Column('risk_level', sa.String(length=10), nullable=True),
    sa.Column('crime_type', sa.String(length=60), nullable=True),
    sa.Column('age_band', sa.String(length=10), nullable=True),
    sa.Column('sex', sa.String(length=20), nullable=True),
    sa.Column('gender_identity', sa.String(length=40), nullable=True),
    sa.Column('ethnicity', sa.String(length=60), nullable=True),
    sa.Column('disability', sa.String(length=30), nullable=True),
    sa.Column('religion', sa.String(length=40), nullable=True),
    sa.Column('sexual_orientation', sa.String(length=40), nullable=True),
    sa.Column('consent_to_share', sa.Boolean(), nullable=True),
    sa.Column('suitable', sa.Boolean(), nullable=True),
    sa.Column('distance_tool_completed_on', sa.Date(), nullable=True),
    sa.Column('exit_reason', sa.String(length=60), nullable=True),
    sa.Column('exit_survey_offered_on', sa.Date(), nullable=True),
    sa.Column('exit_survey_completed', sa.Boolean(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('row_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['borough_id'], ['boroughs.id'], name=op.f('fk_referrals_borough_id_boroughs')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_referrals_contract_id_contracts')),
    sa.ForeignKeyConstraint(['demand_unit_id'], ['demand_units.id'], name=op.f('fk_referrals_demand_unit_id_demand_units')),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_referrals_hub_id_hubs')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_referrals_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_referrals_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('referral_id', name=op.f('uq_referrals_referral_id'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_action_plan_approved_on', ['action_plan_approved_on', 'first_session_on', 'suitable', 'concluded_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_borough_id'), ['borough_id'], unique=False)
        batch_op.create_index('ix_referrals_case_extract_source', ['source'], unique=False, sqlite_where=sa.text("source IN ('case_extract', 'demo')"), postgresql_where=sa.text("source IN ('case_extract', 'demo')"))
        batch_op.create_index('ix_referrals_concluded_on', ['concluded_on', 'received_on', 'eosr_submitted_on', 'outcomes_achieved', 'exit_survey_offered_on', 'first_session_on', 'action_plan_approved_on', 'referral_end_state', 'end_requested_by_pp_reason'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_demand_unit_id'), ['demand_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_hub_id'), ['hub_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_referrals_received_on', ['received_on', 'saa_first_attended_on', 'saa_first_not_attended_on', 'concluded_on'], unique=False)
        batch_op.create_index('ix_referrals_received_scope', ['received_on', 'borough_id', 'provider_id', 'contract_id', 'hub_id', 'demand_unit_id', 'complexity'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_referral_ref'), ['referral_ref'], unique=False)
        batch_op.create_index('ix_referrals_saa_first_attended_on', ['saa_first_attended_on', 'action_plan_submitted_on', 'distance_tool_completed_on', 'concluded_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_service_user_crn'), ['service_user_crn'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_pk', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(), nullable=False),
    sa.Column('scheduled_on', sa.Date(), nullable=False),
    sa.Column('attended', sa.String(length=4), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=True),
    sa.Column('recorded_on', sa.Date(), nullable=True),
    sa.Column('shared', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['referral_pk'], ['referrals.id'], name=op.f('fk_appointments_referral_pk_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_referral_pk'), ['referral_pk'], unique=False)

    op.create_table('epop_action_outcomes',
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('outcome_key', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['epop_actions.id'], name=op.f('fk_epop_action_outcomes_action_id_epop_actions')),
    sa.ForeignKeyConstraint(['outcome_key'], ['epop_outcome_codes.key'], name=op.f('fk_epop_action_outcomes_outcome_key_epop_outcome_codes')),
    sa.PrimaryKeyConstraint('action_id', 'outcome_key', name=op.f('pk_epop_action_outcomes'))
    )
    op.create_table('epop_action_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=60), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('percent_complete', sa.Integer(), nullable=True),
    sa.Column('narrative', sa.Text(), nullable=True),
    sa.Column('evidence_link', sa.String(length=400), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['epop_actions.id'], name=op.f('fk_epop_action_updates_action_id_epop_actions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epop_action_updates'))
    )
    with op.batch_alter_table('epop_action_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epop_action_updates_action_id'), ['action_id'], unique=False)

    op.create_table('need_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_pk', sa.Integer(), nullable=False),
    sa.Column('need_code', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('scored_on', sa.Date(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['need_code'], ['needs.code'], name=op.f('fk_need_scores_need_code_needs')),
    sa.ForeignKeyConstraint(['referral_pk'], ['referrals.id'], name=op.f('fk_need_scores_referral_pk_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_scores'))
    )
    with op.batch_alter_table('need_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_scores_referral_pk'), ['referral_pk'], unique=False)

    op.create_table('onward_referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_pk', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=120), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['referral_pk'], ['referrals.id'], name=op.f('fk_onward_referrals_referral_pk_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onward_referrals'))
    )
    with op.batch_alter_table('onward_referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onward_referrals_referral_pk'), ['referral_pk'], unique=False)

    op.create_table('record_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_pk', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=True),
    sa.Column('shared', sa.Boolean(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=True),
    sa.Column('successful', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['referral_pk'], ['referrals.id'], name=op.f('fk_record_events_referral_pk_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_events'))
    )
    with op.batch_alter_table('record_events', schema=None) as batch_op:
        batch_op.create_index('ix_record_events_occurred_on', ['occurred_on', 'kind', 'recorded_on', 'shared', 'referral_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_events_referral_pk'), ['referral_pk'], unique=False)

    op.create_table('referral_needs',
    sa.Column('referral_pk', sa.Integer(), nullable=False),
    sa.Column('need_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['need_code'], ['needs.code'], name=op.f('fk_referral_needs_need_code_needs')),
    sa.ForeignKeyConstraint(['referral_pk'], ['referrals.id'], name=op.f('fk_referral_needs_referral_pk_referrals')),
    sa.PrimaryKeyConstraint('referral_pk', 'need_code', name=op.f('pk_referral_needs'))
    )
    op.create_table('referral_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_pk', sa.Integer(), nullable=False),
    sa.Column('need_code', sa.String(length=40), nullable=True),
    sa.Column('description', sa.String(length=250), nullable=False),
    sa.Column('achievement', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['need_code'], ['needs.code'], name=op.f('fk_referral_outcomes_need_code_needs')),
    sa.ForeignKeyConstraint(['referral_pk'], ['referrals.id'], name=op.f('fk_referral_outcomes_referral_pk_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_outcomes'))
    )
    with op.batch_alter_table('referral_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_outcomes_referral_pk'), ['referral_pk'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('referral_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_outcomes_referral_pk'))

    op.drop_table('referral_outcomes')
    op.drop_table('referral_needs')
    with op.batch_alter_table('record_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_events_referral_pk'))
        batch_op.drop_index('ix_record_events_occurred_on')

    op.drop_table('record_events')
    with op.batch_alter_table('onward_referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onward_referrals_referral_pk'))

    op.drop_table('onward_referrals')
    with op.batch_alter_table('need_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_scores_referral_pk'))

    op.drop_table('need_scores')
    with op.batch_alter_table('epop_action_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_epop_action_updates_action_id'))

    op.drop_table('epop_action_updates')
    op.drop_table('epop_action_outcomes')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_referral_pk'))

    op.drop_table('appointments')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_service_user_crn'))
        batch_op.drop_index('ix_referrals_saa_first_attended_on')
        batch_op.drop_index(batch_op.f('ix_referrals_referral_ref'))
        batch_op.drop_index('ix_referrals_received_scope')
        batch_op.drop_index('ix_referrals_received_on')
        batch_op.drop_index(batch_op.f('ix_referrals_provider_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_hub_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_demand_unit_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_contract_id'))
        batch_op.drop_index('ix_referrals_concluded_on')
        batch_op.drop_index('ix_referrals_case_extract_source', sqlite_where=sa.text("source IN ('case_extract', 'demo')"), postgresql_where=sa.text("source IN ('case_extract', 'demo')"))
        batch_op.drop_index(batch_op.f('ix_referrals_borough_id'))
        batch_op.drop_index('ix_referrals_action_plan_approved_on')

    op.drop_table('referrals')
    with op.batch_alter_table('pdu_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pdu_areas_pdu_number'))
        batch_op.drop_index(batch_op.f('ix_pdu_areas_borough_id'))

    op.drop_table('pdu_areas')
    with op.batch_alter_table('forecasts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forecasts_demand_unit_id'))

    op.drop_table('forecasts')
    with op.batch_alter_table('epop_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_epop_actions_plan_id'))

    op.drop_table('epop_actions')
    with op.batch_alter_table('spend_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spend_records_contract_id'))

    op.drop_table('spend_records')
    op.drop_table('pdu_local_authorities')
    with op.batch_alter_table('inspection_recommendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_recommendations_plan_id'))

    op.drop_table('inspection_recommendations')
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hubs_borough_id'))

    op.drop_table('hubs')
    with op.batch_alter_table('funding_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funding_periods_contract_id'))

    op.drop_table('funding_periods')
    with op.batch_alter_table('epop_standard_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_epop_standard_assessments_plan_id'))

    op.drop_table('epop_standard_assessments')
    with op.batch_alter_table('epop_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_epop_sessions_plan_id'))

    op.drop_table('epop_sessions')
    with op.batch_alter_table('epop_annex2_coverage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_epop_annex2_coverage_plan_id'))

    op.drop_table('epop_annex2_coverage')
    with op.batch_alter_table('demand_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demand_units_pdu_number'))
        batch_op.drop_index(batch_op.f('ix_demand_units_borough_id'))

    op.drop_table('demand_units')
    op.drop_table('contract_boroughs')
    op.drop_table('users')
    with op.batch_alter_table('unrecorded_first_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unrecorded_first_sessions_referral_id'))
        batch_op.drop_index(batch_op.f('ix_unrecorded_first_sessions_import_batch_id'))

    op.drop_table('unrecorded_first_sessions')
    op.drop_table('ram_regions')
    with op.batch_alter_table('pdus', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pdus_region_code'))

    op.drop_table('pdus')
    with op.batch_alter_table('import_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_changes_batch_id'))

    op.drop_table('import_changes')
    with op.batch_alter_table('epop_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_epop_plans_region_code'))

    op.drop_table('epop_plans')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_provider_id'))

    op.drop_table('contracts')
    op.drop_table('boroughs')
    op.drop_table('spc_rebases')
    op.drop_table('sign_in_throttle')
    op.drop_table('regions')
    op.drop_table('providers')
    op.drop_table('needs')
    op.drop_table('local_authorities')
    op.drop_table('kpi_summary_state')
    op.drop_table('kpi_definitions')
    with op.batch_alter_table('kpi_daily_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_daily_counts_grain_day')

    op.drop_table('kpi_daily_counts')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batches_sha256'))

    op.drop_table('import_batches')
    op.drop_table('figure_settings')
    op.drop_table('epop_standards')
    op.drop_table('epop_outcome_codes')
    op.drop_table('epop_annex2_expectations')
    op.drop_table('end_reasons')
    op.drop_table('dataset_meta')
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_days_working_days_to_date'))

    op.drop_table('calendar_days')
    with op.batch_alter_table('board_commentary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_commentary_period_start'))

    op.drop_table('board_commentary')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
