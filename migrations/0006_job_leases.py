from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('rapport', '0005_sla_warnings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='JobLease',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, description='Job name, e.g. "rapport.outbox_relay"', max_length=100)),
                ('holder', fields.CharField(description='host:pid:random of the process holding it', max_length=200)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'job_leases', 'app': 'rapport', 'pk_attr': 'name', 'table_description': 'Held by one process until ``expires_at``: while a job runs, and until it is next due.'},
            bases=['Model'],
        ),
    ]
