"""The plugin manager: built-ins through the same hooks, installed plugins chosen by settings, load
failures reported (and refusing to start), tracing, dispatch of async implementations."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from rapport import plugins as plugin_module
from rapport.plugin_host import PluginFailure
from rapport.plugins import BUILTIN_PLUGINS, PluginLoadError, activated, active, load_plugins
from tests.plugins import faulty, loyalty
from tests.support.plugins import host_with


def test_built_ins_are_registered_through_the_hooks(settings) -> None:
    host = host_with(settings)
    assert set(host.plugin_names()) == {name.replace(".builtins.", ".") for name in BUILTIN_PLUGINS}
    assert "classify_customer" in host.hooks_of("rapport.classification")
    assert {job.name for _, job in host.periodic_jobs} >= {"rapport.outbox_relay", "rapport.reclassify_customers"}
    assert host.owner("rapport.classification") == "rapport"


def test_a_built_in_can_be_disabled(settings) -> None:
    host = host_with(settings, disable_plugins="rapport.classification")
    assert "rapport.classification" not in host.plugin_names()
    assert not host.implementations("classify_customer")


def test_installed_plugins_run_before_built_ins(settings) -> None:
    host = host_with(settings, loyalty)
    owners = [impl.plugin_name for impl in host.implementations("classify_customer")]
    assert owners == ["tests.plugins.loyalty", "rapport.classification"]


def test_each_app_has_its_own_host(settings) -> None:
    plain, extended = host_with(settings), host_with(settings, loyalty)
    assert not plain.fields.of("customer") and extended.fields.get("customer", "loyalty_points") is not None
    with activated(extended):
        assert active() is extended
        with activated(plain):
            assert active() is plain
        assert active() is extended


def test_a_misspelt_hook_is_refused_with_a_suggestion(settings) -> None:
    with pytest.raises(PluginLoadError, match=r"unknown hook 'on_evnt' \(did you mean 'on_event'\?\)"):
        host_with(settings, faulty.Misspelt())


def test_a_synchronous_hook_refuses_an_async_implementation(settings) -> None:
    with pytest.raises(PluginFailure, match="custom_fields must be synchronous"):
        host_with(settings, faulty.AsyncCustomFields())


async def test_an_async_implementation_returning_none_does_not_win_a_first_result_hook(settings) -> None:
    from rapport.services.sla_policies import TicketContext

    host = host_with(settings, faulty.SyncVipSla(), faulty.AsyncNoneSla())
    assert host.implementations("sla_policy")[0].plugin_name == "AsyncNoneSla"  # tryfirst: asked first
    vip = TicketContext(priority="high", department="support", tier="high")
    assert (await host.sla_policy(vip))["name"] == "vip"
    assert await host.sla_policy(TicketContext(priority="high", department="support", tier="ordinary")) is None
    with activated(host):
        assert (await plugin_module.sla_policy_for(vip))["name"] == "vip"


async def test_an_exception_names_the_plugin(settings) -> None:
    host = host_with(settings, faulty.RaisingClassifier())
    with pytest.raises(PluginFailure) as failure:
        await host.call_each("classify_customer", customer=None, settings=settings)
    assert failure.value.plugin == "RaisingClassifier" and failure.value.hook == "classify_customer"
    assert "plugin 'RaisingClassifier' failed in classify_customer (ZeroDivisionError); nothing was saved" in str(failure.value)


def test_tracing_logs_every_hook_call(settings, capsys) -> None:
    host = host_with(settings, loyalty, trace_plugins=True)
    host.call_each_sync("classification_rules", settings=settings)
    out = capsys.readouterr().out
    assert "plugin hook" in out and "tests.plugins.loyalty" in out and "classification_rules" in out


# ---------------------------------------------------------------- installed plugins (entry points)


def _write_distribution(root: Path, dist: str, module: str, entry_name: str, code: str) -> None:
    """A minimal installed distribution (dist-info with an entry point) and its module, on sys.path."""
    (root / f"{module}.py").write_text(textwrap.dedent(code), encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-0.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.9\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[rapport.plugins]\n{entry_name} = {module}\n", encoding="utf-8")


@pytest.fixture
def installed(tmp_path, monkeypatch):
    def install(dist: str, module: str, entry_name: str, code: str) -> None:
        _write_distribution(tmp_path, dist, module, entry_name, code)

    monkeypatch.syspath_prepend(str(tmp_path))
    yield install
    for name in [m for m in sys.modules if m.startswith("rp_test_")]:
        del sys.modules[name]


GOOD = """
    from rapport import hookimpl
    from rapport.plugin_api import CustomField, FieldType

    @hookimpl
    def custom_fields():
        return [CustomField("customer", "rp_test_size", FieldType.INT)]
"""


def test_installed_plugins_are_found_by_entry_point_and_selectable(settings, installed) -> None:
    installed("rp-test-good", "rp_test_good", "rp-test-good", GOOD)
    installed("rp-test-other", "rp_test_other", "rp-test-other", "x = 1\n")
    host = load_plugins(settings.model_copy(update={"plugins": None}))
    assert {"rp-test-good", "rp-test-other"} <= set(host.plugin_names())
    assert host.version_of("rp-test-good") == "0.9"
    assert host.fields.get("customer", "rp_test_size").owner == "rp-test-good"
    only = load_plugins(settings.model_copy(update={"plugins": "rp-test-good"}))
    assert "rp-test-other" not in only.plugin_names() and "rp-test-good" in only.plugin_names()
    none = load_plugins(settings.model_copy(update={"plugins": ""}))
    assert "rp-test-good" not in none.plugin_names()
    disabled = load_plugins(settings.model_copy(update={"plugins": None, "disable_plugins": "rp-test-good"}))
    assert "rp-test-good" not in disabled.plugin_names()


def test_a_plugin_that_fails_to_import_stops_the_start_unless_optional(settings, installed) -> None:
    installed("rp-test-broken", "rp_test_broken", "rp-test-broken", "raise ImportError('needs a missing library')\n")
    with pytest.raises(PluginLoadError) as refused:
        load_plugins(settings.model_copy(update={"plugins": "rp-test-broken"}))
    message = str(refused.value)
    assert "rp-test-broken (from rp-test-broken 0.9): import failed: ImportError: needs a missing library" in message
    assert "RAPPORT_PLUGINS_OPTIONAL=1" in message
    host = load_plugins(settings.model_copy(update={"plugins": "rp-test-broken", "plugins_optional": True}))
    assert "rp-test-broken" not in host.plugin_names()
    assert [failure.plugin for failure in host.failures] == ["rp-test-broken"]


def test_asking_for_a_plugin_that_is_not_installed_is_an_error(settings) -> None:
    with pytest.raises(PluginLoadError, match="rp-test-missing: asked for by RAPPORT_PLUGINS but not installed"):
        load_plugins(settings.model_copy(update={"plugins": "rp-test-missing"}))


def test_the_process_refuses_to_start_with_a_broken_plugin(settings, installed, tmp_path, monkeypatch) -> None:
    from rapport.cli import main

    installed("rp-test-broken2", "rp_test_broken2", "rp-test-broken2", "1/0\n")
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite://{tmp_path / 'x.db'}")
    monkeypatch.setenv("RAPPORT_PLUGINS", "rp-test-broken2")
    assert main(["plugins"]) == 1
    monkeypatch.setenv("RAPPORT_PLUGINS_OPTIONAL", "1")
    assert main(["plugins"]) == 0
