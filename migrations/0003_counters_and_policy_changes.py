from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('rapport', '0002_partial_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Counter',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('value', fields.BigIntField(default=0, db_default=0)),
            ],
            options={'table': 'counters', 'app': 'rapport', 'pk_attr': 'name'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('actor', fields.CharField(description='Subject who changed it, e.g. "user:security@x.com"', max_length=400)),
                ('actor_agent', fields.ForeignKeyField('rapport.Agent', source_field='actor_agent_id', null=True, db_constraint=True, to_field='id', related_name='policy_changes', on_delete=OnDelete.SET_NULL)),
                ('change', fields.CharField(description='add_rule, remove_rule, grant_role, revoke_role, import', max_length=32)),
                ('rule', fields.TextField(description='The rule as a CSV line, e.g. p, role:agent, sales, customer, read, dept, allow', unique=False)),
                ('before', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('version', fields.BigIntField(description='Policy version after this change')),
            ],
            options={'table': 'policy_changes', 'app': 'rapport', 'indexes': [Index(fields=['at', 'id'])], 'pk_attr': 'id', 'table_description': 'One change to the access policy: who, when, what (the rule before and after).'},
            bases=['Model'],
        ),
    ]
