"""The remaining hooks from a plugin's side: GraphQL extensions behind the gate, default policy lines
added once, startup and shutdown, authentication of requests without a token."""

from __future__ import annotations

import strawberry

from rapport import hookimpl
from rapport.app import start_plugins
from rapport.auth.actor import Actor, RoleGrant
from rapport.authz.rules import parse_policy
from rapport.authz.store import current_policy, remove_rule
from rapport.graphql.gate import secured
from rapport.graphql.sdl import export_sdl
from rapport.plugin_api import GraphQLExtensions
from tests.support.graphql import gql
from tests.support.personas import cast
from tests.support.plugins import client_for, host_with


@strawberry.type
class WeatherQuery:
    @strawberry.field(description="Today's weather (plugin weather).", extensions=[secured("public", "read")])
    async def weather(self) -> str:
        return "sunny"

    @strawberry.field
    async def leaky(self) -> str:  # no permission declared: refused by the gate
        return "secret"


class Weather:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def graphql_extensions(self) -> GraphQLExtensions:
        return GraphQLExtensions(query=(WeatherQuery,))

    @hookimpl
    def default_policies(self) -> list[str]:
        return ["p, role:agent, *, integration, read, dept, allow"]

    @hookimpl
    async def startup(self, app) -> None:
        self.calls.append(f"startup {app is None}")

    @hookimpl
    def shutdown(self) -> None:
        self.calls.append("shutdown")


class HeaderLogin:
    """Trusts a proxy's X-Forwarded-User header (only behind such a proxy!)."""

    @hookimpl
    async def actor_from_request(self, headers) -> Actor | None:
        user = headers.get("x-forwarded-user")
        if user is None:
            return None
        return Actor(kind="user", name=user, department="sales", grants=(RoleGrant("agent", "sales"),))


async def test_a_plugin_adds_root_fields_behind_the_gate(db, settings) -> None:
    people = await cast(settings)
    host = host_with(settings, Weather())
    assert "weather: String!" in export_sdl(host) and "weather" not in export_sdl()
    async with client_for(settings, host) as client:
        body = (await gql(client, "{ weather }", people["sales"].headers)).json()
        assert body["data"] == {"weather": "sunny"}
        body = (await gql(client, "{ leaky }", people["sales"].headers)).json()
        assert body["errors"][0]["message"] == "forbidden: root field leaky declares no permission"


async def test_default_policy_lines_are_added_once_and_stay_removed(db, settings) -> None:
    await cast(settings)  # seeds the default policy
    weather = Weather()
    host = host_with(settings, weather)
    await start_plugins(host)
    assert weather.calls == ["startup True"]
    line = next(iter(parse_policy("p, role:agent, *, integration, read, dept, allow")))
    assert line in (await current_policy()).rules
    await remove_rule(line, by="user:security@example.com")  # a security admin takes it away
    await start_plugins(host)
    assert line not in (await current_policy()).rules
    await host.shutdown()
    assert weather.calls[-1] == "shutdown"


async def test_a_plugin_may_authenticate_requests_without_a_token(db, settings) -> None:
    await cast(settings)
    async with client_for(settings, host_with(settings, HeaderLogin())) as client:
        response = await client.post("/graphql", json={"query": "{ viewer { roles } }"}, headers={"X-Forwarded-User": "proxy@example.com"})
        assert response.json()["data"]["viewer"]["roles"] == ["agent@sales"]
        anonymous = await client.post("/graphql", json={"query": "{ viewer { roles } }"})
        assert anonymous.status_code == 401
        forged = await client.post("/graphql", json={"query": "{ viewer { roles } }"},
                                   headers={"X-Forwarded-User": "x@example.com", "Authorization": "Bearer forged"})
        assert forged.status_code == 401  # a token that fails is never rescued by a plugin
