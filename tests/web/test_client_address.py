"""The per-address bucket key: one key per IP address however it is spelt, one shared key for garbage."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import assume, given, settings, strategies as st

from rapport.web.client_address import address_key


@pytest.mark.parametrize(("host", "key"), [
    ("203.0.113.7", "ip:203.0.113.7"),
    ("::ffff:203.0.113.7", "ip:203.0.113.7"),  # IPv4-mapped IPv6 is the IPv4 client
    ("2001:DB8:0:0:1::7", "ip:2001:db8::/64"),
    ("[2001:db8::abcd]", "ip:2001:db8::/64"),
    ("fe80::1%eth0", "ip:fe80::/64"),
    ("203.0.113.7:8080", "ip:invalid"),
    ("0203.0.113.7", "ip:invalid"),
    ("evil-host", "ip:invalid"),
    ("", "ip:unknown"),
    (None, "ip:unknown"),
])
def test_bucket_keys(host, key) -> None:
    assert address_key(host) == key


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_canonical_address_or_the_shared_bucket(text) -> None:
    key = address_key(text)
    assert key.startswith("ip:")
    value = key.removeprefix("ip:")
    if value not in ("invalid", "unknown"):
        parsed = ipaddress.ip_network(value)
        assert str(parsed) == value or str(parsed.network_address) == value  # canonical, never the client's text


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses(v=6))
def test_every_address_of_one_ipv6_64_shares_a_bucket(address) -> None:
    assume(address.ipv4_mapped is None)
    neighbour = ipaddress.IPv6Address(int(address) ^ 0xFFFF)  # differs in the interface identifier only
    assert address_key(str(address)) == address_key(str(neighbour)) == address_key(address.exploded.upper())


def test_trusted_proxies_setting_is_checked_and_normalised() -> None:
    from rapport.cli.serving import proxy_options
    from rapport.settings import SettingsError, load_settings

    assert proxy_options(load_settings()) == {"proxy_headers": False, "forwarded_allow_ips": ""}  # the default: none
    trusted = load_settings(trusted_proxies=" 10.1.2.3/8, 127.0.0.1 ,, ::1")
    # 10.1.2.3/8 as written would be a literal to uvicorn, one that never matches a peer.
    assert proxy_options(trusted) == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.0/8,127.0.0.1,::1"}
    with pytest.raises(SettingsError, match="RAPPORT_TRUSTED_PROXIES: 'proxy.example' is not an IP"):
        load_settings(trusted_proxies="10.0.0.1,proxy.example")
