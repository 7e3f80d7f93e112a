"""The example plugin end to end, with Rapport's fixtures (rapport.testing)."""

CREATE = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    customer { id customFields { shoeSize } tags classification { reasons { rule plugin explanation } } }
    errors { code path message }
  }
}"""


async def test_the_field_is_typed_and_validated(rapport_client):
    data = await rapport_client.query(CREATE, input={"name": "Ann", "custom": {"shoe_size": 47}})
    assert data["createCustomer"]["customer"]["customFields"] == {"shoeSize": 47}
    data = await rapport_client.query(CREATE, input={"name": "Bob", "custom": {"shoe_size": 12}})
    assert data["createCustomer"]["errors"] == [
        {"code": "INVALID", "path": ["input", "custom", "shoe_size"], "message": "shoe_size must be between 30 and 50"}
    ]


async def test_the_rule_tags_with_its_reason(rapport_client):
    data = await rapport_client.query(CREATE, input={"name": "Ann", "custom": {"shoe_size": 47}})
    customer = data["createCustomer"]["customer"]
    assert customer["tags"] == ["big-feet"]
    assert {"rule": "example.big_feet", "plugin": "rapport-example", "explanation": "shoe size 47 (from 46)"} in (
        customer["classification"]["reasons"]
    )


async def test_events_reach_the_plugin(rapport_client, rapport_events):
    import rapport_example

    data = await rapport_client.query(CREATE, input={"name": "Ann"})
    event = await rapport_events.assert_emitted("customer.created")
    await rapport_events.deliver()
    assert [e.id for e in rapport_example.received] == [event.id]
    assert data["createCustomer"]["customer"]["id"]
