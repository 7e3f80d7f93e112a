"""Commands about plugins and what they drive: ``rapport plugins``, ``rapport classify``, ``rapport outbox``.

Registered on the main parser by :func:`register` (``rapport.cli``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rapport.cli.command import CommandError, run_with_database
from rapport.settings import Settings


def load_host(settings: Settings) -> Any:
    """The plugins of this command's process; a plugin that fails to load stops the command."""
    from rapport.custom_fields.catalog import FieldDefinitionError
    from rapport.plugins import PluginLoadError, load_plugins, use_process_host

    try:
        host = load_plugins(settings)
    except (PluginLoadError, FieldDefinitionError) as exc:
        raise CommandError(str(exc)) from None
    use_process_host(host)
    return host


def check_plugins(settings: Settings) -> None:
    """Refuse to start (serve, worker) when an installed plugin cannot load."""
    load_host(settings)


# ---------------------------------------------------------------- rapport plugins


def describe_plugins(host: Any) -> list[dict[str, Any]]:
    from rapport.custom_fields.sql import index_name

    out = []
    for name in host.plugin_names():
        owner = host.owner(name)
        dist = host.distributions.get(name)
        fields = [] if host.is_builtin(name) else host.fields.owned_by(owner)
        out.append({
            "name": name,
            "version": host.version_of(name),
            "source": "built-in" if host.is_builtin(name) else (f"entry point of {dist.metadata['Name']}" if dist else "registered"),
            "hooks": host.hooks_of(name),
            "fields": [
                {"entity": f.entity, "name": f.name, "type": f.type.value, "required": f.required, "pii": f.pii,
                 "indexed": f.indexed, "choices": list(f.choices), "index": index_name(f) if f.indexed else None}
                for f in fields
            ],
            "rules": [{"name": r.name, "appliesTo": r.applies_to, "description": r.description} for p, r in host.rules if p == name],
        })
    return out


def cmd_plugins(settings: Settings, args: argparse.Namespace) -> None:
    host = load_host(settings)
    listing = describe_plugins(host)
    if args.json:
        print(json.dumps({"plugins": listing, "failed": [str(f) for f in host.failures]}, indent=2))
        return
    for plugin in listing:
        print(f"{plugin['name']} {plugin['version'] or '-'} ({plugin['source']})")
        print(f"  hooks: {', '.join(plugin['hooks']) or 'none'}")
        for field in plugin["fields"]:
            flags = [flag for flag in ("required", "pii", "indexed") if field[flag]]
            kind = field["type"] + (f"({', '.join(field['choices'])})" if field["choices"] else "")
            print(f"  field: {field['entity']}.{field['name']} {kind}" + (f" [{', '.join(flags)}]" if flags else ""))
        for rule in plugin["rules"]:
            print(f"  rule: {rule['name']} ({rule['appliesTo']}): {rule['description']}")
    for failure in host.failures:
        print(f"NOT LOADED: {failure}")


# ---------------------------------------------------------------- rapport classify


def cmd_classify(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.classification.batch import classify_all
    from rapport.plugins import activated

    host = load_host(settings)

    def progress(done: int, total: int) -> None:
        print(f"classified {done}/{total}", file=sys.stderr, flush=True)

    async def work() -> Any:
        with activated(host):
            return await classify_all(host, dry_run=args.dry_run, progress=progress)

    summary = run_with_database(settings, work)
    for line in summary.lines(args.dry_run):
        print(line)
    if args.dry_run:
        print("dry run: nothing was written")


# ---------------------------------------------------------------- rapport outbox


def cmd_outbox(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.events import relay
    from rapport.plugins import activated

    host = load_host(settings)

    async def work() -> list[str]:
        with activated(host):
            if args.outbox_command == "status":
                now = await relay.counts()
                consumers = ", ".join(name for name, _ in host.consumers()) or "none"
                return [f"consumers: {consumers}", f"pending events: {now.pending_events}",
                        f"deliveries retrying: {now.retrying}", f"parked deliveries: {now.parked}"]
            if args.outbox_command == "parked":
                rows = await relay.parked(args.consumer, args.limit)
                return [f"{row.id}\t{row.consumer}\t{row.event.topic}\t{row.event.entity}:{row.event.entity_id}\t"
                        f"attempts {row.attempts}\t{row.parked_at.isoformat()}\t{row.last_error or ''}" for row in rows] \
                    or ["no parked deliveries"]
            if args.outbox_command == "retry":
                if not await relay.retry(args.delivery):
                    raise CommandError(f"no parked delivery {args.delivery}")
                return [f"delivery {args.delivery} will be tried again"]
            report = await relay.relay_until_idle(host)
            return [f"delivered {report.delivered}, failed {report.failed}, parked {report.parked}, "
                    f"events completed {report.completed}", *report.errors[:20]]

    for line in run_with_database(settings, work):
        print(line)


def register(commands: Any) -> None:
    plugins = commands.add_parser("plugins", help="list installed plugins: version, hooks, fields and rules they own")
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.set_defaults(func=cmd_plugins)

    classify = commands.add_parser("classify", help="re-classify every customer with the installed rules")
    classify.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    classify.set_defaults(func=cmd_classify)

    outbox = commands.add_parser("outbox", help="domain events: delivery status, parked deliveries, retries")
    actions = outbox.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    actions.add_parser("status", help="pending events, retrying and parked deliveries").set_defaults(func=cmd_outbox)
    parked = actions.add_parser("parked", help="deliveries the relay gave up on, newest first")
    parked.add_argument("--consumer", help="only this plugin's")
    parked.add_argument("--limit", type=int, default=100)
    parked.set_defaults(func=cmd_outbox)
    retry = actions.add_parser("retry", help="deliver a parked event to its consumer again")
    retry.add_argument("delivery", type=int, help="the delivery id (from `rapport outbox parked`)")
    retry.set_defaults(func=cmd_outbox)
    actions.add_parser("relay", help="run the relay now until nothing is left to deliver").set_defaults(func=cmd_outbox)
