from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from rapport.models.customer import CustomerSegment
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('rapport', '0003_counters_and_policy_changes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomerSegmentChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('rapport.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='segment_changes', on_delete=OnDelete.CASCADE)),
                ('department', fields.ForeignKeyField('rapport.Department', source_field='department_id', db_constraint=True, to_field='id', related_name='segment_changes', on_delete=OnDelete.RESTRICT)),
                ('from_segment', fields.CharEnumField(null=True, description='Null when the customer was created', enum_type=CustomerSegment, max_length=16)),
                ('to_segment', fields.CharEnumField(description='POTENTIAL: potential\nEXISTING: existing\nCHURNED: churned', enum_type=CustomerSegment, max_length=16)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('rule', fields.CharField(description='The rule that decided, e.g. default.churn_after_days', max_length=200)),
                ('plugin', fields.CharField(default='rapport', db_default='rapport', max_length=100)),
            ],
            options={'table': 'customer_segment_changes', 'app': 'rapport', 'indexes': [Index(fields=['to_segment', 'at']), Index(fields=['customer_id', 'at', 'id']), Index(fields=['department_id', 'at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('rapport.OutboxEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('consumer', fields.CharField(description='Plugin name or other consumer', max_length=100)),
                ('attempts', fields.IntField(default=0, db_default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('parked_at', fields.DatetimeField(null=True, description='Gave up after the retries, visible to admins', auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'outbox_deliveries', 'app': 'rapport', 'unique_together': (('event_id', 'consumer'),), 'indexes': [Index(fields=['consumer', 'delivered_at', 'next_attempt_at']), Index(fields=['parked_at'])], 'pk_attr': 'id', 'table_description': "An event's delivery to one consumer (a plugin's on_event, a webhook relay): retried, then parked."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=100)),
                ('url', fields.CharField(max_length=2000)),
                ('secret', fields.CharField(description='HMAC-SHA256 key for the signature header', max_length=200)),
                ('topics', fields.JSONField(default=list, description='Event topics, e.g. ["ticket.opened"], or ["*"]', encoder=JSON_DUMPS, decoder=loads)),
                ('active', fields.BooleanField(default=True, db_default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_subscriptions', 'app': 'rapport', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscription', fields.ForeignKeyField('rapport.WebhookSubscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('rapport.OutboxEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='webhook_deliveries', on_delete=OnDelete.CASCADE)),
                ('attempts', fields.IntField(default=0, db_default=0)),
                ('status', fields.CharField(default='pending', description='pending, delivered, failed', db_default='pending', max_length=16)),
                ('response_code', fields.IntField(null=True)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_deliveries', 'app': 'rapport', 'unique_together': (('subscription_id', 'event_id'),), 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Ticket',
            name='escalated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Ticket',
            name='first_response_warned_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Ticket',
            name='resolution_warned_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Ticket',
            name='sla_paused_at',
            field=fields.DatetimeField(null=True, description='Set while PENDING: SLA clocks stop', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Ticket',
            name='sla_paused_seconds',
            field=fields.IntField(default=0, description='Business seconds spent paused so far', db_default=0),
        ),
    ]
