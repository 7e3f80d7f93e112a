"""The service configuration file, and which SLA policy a ticket gets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport import hookimpl
from rapport.models import TicketPriority
from rapport.plugins import activated
from rapport.services import sla_policies
from rapport.services.service_config import (
    DEFAULT_POLICY,
    ServiceConfigError,
    SlaPolicy,
    load_service_config,
    parse_duration,
    use_config,
)
from rapport.services.sla_policies import TicketContext, calendar_named, select_sla_policy
from tests.support.plugins import host_with

EXAMPLE = """
default_calendar = "office"

[calendars.office]
timezone = "Europe/Berlin"
days = ["mon", "tue", "wed", "thu", "fri"]
hours = "09:00-17:00"
holidays = ["2025-12-25"]

[calendars.support-desk]
timezone = "Asia/Shanghai"
hours = ["08:00-12:00", "13:00-20:00"]

[departments.support]
calendar = "support-desk"
manager = "Lead@Example.com"
assignment = "least_open"

[departments.sales]
assignment = "round_robin"

[[policies]]
name = "vip"
tier = ["HIGH"]
first_response = "30m"
resolution = { URGENT = "2h", HIGH = "4h", NORMAL = "8h" }
calendar = "24x7"
escalate = { on = ["resolution"], raise_priority = false }

[[policies]]
name = "support-urgent"
department = ["support"]
priority = ["URGENT"]
first_response = "15m"
resolution = "2h"
warn_at = false
pause_while_pending = false
"""

H = timedelta(hours=1)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "service.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    config = load_service_config(path)
    previous = use_config(config)
    yield config
    use_config(previous)


def test_the_file_is_read_whole(config) -> None:
    assert set(config.calendars) == {"24x7", "office", "support-desk"}
    assert config.department("support").manager == "lead@example.com"
    assert config.department("support").assignment == "least_open"
    assert config.department("marketing").assignment == "manual"  # not configured: manual
    vip = config.policy_named("vip")
    assert vip.target("first_response", "low") == timedelta(minutes=30)
    assert vip.target("resolution", "high") == 4 * H
    assert vip.target("resolution", "low") == 8 * H  # not named: the nearest stricter one named
    assert vip.escalation.on == {"resolution"} and not vip.escalation.raise_priority and vip.escalation.reassign_to_manager
    urgent = config.policy_named("support-urgent")
    assert urgent.warn_at is None and not urgent.pause_while_pending
    assert [p.name for p in config.all_policies] == ["vip", "support-urgent", DEFAULT_POLICY]


async def test_policy_selection_order_and_calendars(config) -> None:
    async def chosen(priority: str, department: str, tier: str | None) -> str:
        return (await select_sla_policy(TicketContext(TicketPriority(priority), department, tier))).name

    assert await chosen("low", "sales", "high") == "vip"  # tier match, first in the file
    assert await chosen("urgent", "support", "high") == "vip"  # the first match wins
    assert await chosen("urgent", "support", "ordinary") == "support-urgent"
    assert await chosen("high", "support", "ordinary") == DEFAULT_POLICY
    assert calendar_named("vip", "support").name == "24x7"  # the policy's own calendar
    assert calendar_named("support-urgent", "support").name == "support-desk"  # the department's
    assert calendar_named(DEFAULT_POLICY, "sales").name == "office"  # the default calendar
    assert calendar_named("since-removed", "sales").name == "office"  # unknown names: the default's rules


class PartnerPolicies:
    """A partner's ``sla_policy`` plugin: a gold policy for support, a failure for one department."""

    def __init__(self) -> None:
        self.seen: list[TicketContext] = []

    @hookimpl
    async def sla_policy(self, ticket: TicketContext) -> dict | None:
        self.seen.append(ticket)
        if ticket.department == "support":
            return {"name": "partner-gold", "first_response": "10m", "resolution": "1h"}
        if ticket.department == "boom":
            raise RuntimeError("plugin bug")
        return None


class SyncPolicies:
    @hookimpl
    def sla_policy(self) -> SlaPolicy:
        return SlaPolicy("sync", H, 2 * H)


async def test_a_plugin_decides_first_and_a_failing_one_is_ignored(config, settings) -> None:
    partner = PartnerPolicies()
    with activated(host_with(settings, partner)):
        gold = await select_sla_policy(TicketContext(TicketPriority.LOW, "support", None))
        assert gold.name == "partner-gold" and gold.target("resolution", "low") == H
        assert sla_policies.policy_named("partner-gold") == gold  # remembered for later look-ups by name
        assert (await select_sla_policy(TicketContext(TicketPriority.LOW, "sales", "high"))).name == "vip"
        assert (await select_sla_policy(TicketContext(TicketPriority.LOW, "boom", None))).name == DEFAULT_POLICY
    assert [c.department for c in partner.seen] == ["support", "sales", "boom"]
    with activated(host_with(settings, SyncPolicies())):
        assert (await select_sla_policy(TicketContext(TicketPriority.LOW, "sales", None))).name == "sync"
    assert (await select_sla_policy(TicketContext(TicketPriority.LOW, "sales", None))).name != "sync"  # not installed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[policies]]\nname = "x"\nresolution = "1h"', "first_response is required"),
        ('[[policies]]\nname = "x"\nfirst_response = "soon"\nresolution = "1h"', "not a duration"),
        ('[[policies]]\nname = "x"\nfirst_response = "1h"\nresolution = { SOMEDAY = "1h" }', "not a priority"),
        ('[[policies]]\nname = "x"\nfirst_response = "1h"\nresolution = "1h"\ncalendar = "nope"', "unknown calendar 'nope'"),
        ('[[policies]]\nname = "x"\nfirst_response = "1h"\nresolution = "1h"\ntier = ["GOLD"]', "unknown tier"),
        ('[[policies]]\nname = "x"\nfirst_response = "1h"\nresolution = "1h"\nwarn_at = 1.5', "warn_at"),
        ('[departments.sales]\nassignment = "random"', "assignment: one of manual, round_robin, least_open"),
        ('[calendars.c]\nhours = "17:00-09:00"', "must start before they end"),
        ("sla = 1", "unknown setting(s) sla"),
        ("[[policies]", "service.toml"),
    ],
)
def test_mistakes_are_reported_with_the_file_and_the_setting(tmp_path, text, message) -> None:
    path = tmp_path / "service.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ServiceConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_service_config(path)


def test_durations() -> None:
    assert parse_duration("1h30m", "x") == timedelta(minutes=90)
    assert parse_duration("45s", "x") == timedelta(seconds=45)
    assert parse_duration(120, "x") == timedelta(minutes=2)
    for bad in ("0m", "", "1d", True, -5):
        with pytest.raises(ServiceConfigError):
            parse_duration(bad, "x")
