"""rapport-sales-fields end to end: typed fields, validation, the revenue tier rule, filters and sorting."""

CREATE = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    customer { id tier customFields { region annualRevenue preferredChannel loyaltyPoints }
               classification { reasons { rule plugin explanation target } } }
    errors { code path message }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, input: $input) { customer { tier customFields { annualRevenue } } errors { code path } }
}"""
LIST = """
query($where: CustomerFilter, $orderBy: [CustomerOrder!]) {
  customers(where: $where, orderBy: $orderBy) { nodes { name customFields { annualRevenue region } } }
}"""


async def create(client, **fields):
    data = await client.query(CREATE, input=fields)
    return data["createCustomer"]


async def test_fields_are_typed_with_defaults(rapport_client):
    result = await create(rapport_client, name="Acme", custom={"region": "europe", "annual_revenue": "250000.00",
                                                            "preferred_channel": "email"})
    assert result["errors"] == []
    assert result["customer"]["customFields"] == {"region": "EUROPE", "annualRevenue": "250000.00",
                                                  "preferredChannel": "EMAIL", "loyaltyPoints": 0}


async def test_values_are_validated(rapport_client):
    result = await create(rapport_client, name="Acme", custom={"region": "mars", "annual_revenue": "-5", "loyalty_points": -1})
    paths = {tuple(e["path"]) for e in result["errors"]}
    assert ("input", "custom", "region") in paths  # not one of the choices: Rapport's type check
    result = await create(rapport_client, name="Acme", custom={"annual_revenue": "-5", "loyalty_points": -1})
    assert {(e["code"], tuple(e["path"])) for e in result["errors"]} == {
        ("INVALID", ("input", "custom", "annual_revenue")), ("INVALID", ("input", "custom", "loyalty_points")),
    }


async def test_the_tier_follows_annual_revenue_with_its_reason(rapport_client):
    big = await create(rapport_client, name="Big", custom={"annual_revenue": "2500000"})
    assert big["customer"]["tier"] == "HIGH"
    reason = next(r for r in big["customer"]["classification"]["reasons"] if r["target"] == "tier")
    assert reason == {"rule": "sales.tier_by_revenue", "plugin": "rapport-sales-fields", "target": "tier",
                      "explanation": "annual revenue 2,500,000 (HIGH from 1,000,000)"}
    small = await create(rapport_client, name="Small", custom={"annual_revenue": "1000"})
    assert small["customer"]["tier"] == "ORDINARY"
    unknown = await create(rapport_client, name="Unknown")
    reason = next(r for r in unknown["customer"]["classification"]["reasons"] if r["target"] == "tier")
    assert (unknown["customer"]["tier"], reason["plugin"]) == ("POTENTIAL", "rapport")  # the core's default decides
    data = await rapport_client.query(UPDATE, id=small["customer"]["id"], input={"custom": {"annual_revenue": "1000000"}})
    assert data["updateCustomer"]["customer"]["tier"] == "HIGH"


async def test_filter_and_sort_by_revenue(rapport_client):
    for name, revenue, region in (("A", "900", "europe"), ("B", "12000", "asia-pacific"), ("C", "150", "europe")):
        await create(rapport_client, name=name, custom={"annual_revenue": revenue, "region": region})
    data = await rapport_client.query(LIST, where={"custom": {"region": {"eq": "europe"}}},
                                      orderBy=[{"field": "CUSTOM", "customField": "annual_revenue", "direction": "DESC"}])
    assert [n["name"] for n in data["customers"]["nodes"]] == ["A", "C"]
    data = await rapport_client.query(LIST, where={"custom": {"annual_revenue": {"gte": 1000}}})
    assert [n["name"] for n in data["customers"]["nodes"]] == ["B"]


async def test_the_fields_are_in_the_schema_and_indexed(rapport_host, rapport_db):
    from tortoise import connections

    from rapport.custom_fields.sql import index_name
    from rapport.graphql.sdl import export_sdl

    sdl = export_sdl(rapport_host)
    assert "annualRevenue: Decimal" in sdl and "(custom field of plugin rapport-sales-fields" in sdl
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict("SELECT indexname AS name FROM pg_indexes")
    else:
        rows = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'index'")
    names = {row["name"] for row in rows}
    assert {index_name(rapport_host.fields.get("customer", f)) for f in ("annual_revenue", "loyalty_points", "region")} <= names
