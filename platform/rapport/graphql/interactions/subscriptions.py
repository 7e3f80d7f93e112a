"""``interactionLogged``: interactions as they are logged, for subscribers who may read them."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from rapport.compiler.events import NOT_COMPILED, CompiledEvent, compiled_event
from rapport.events.live import INTERACTIONS
from rapport.graphql.core.ids import argument_id
from rapport.graphql.gate import secured
from rapport.graphql.interactions.queries import readable_interactions
from rapport.graphql.interactions.types import Interaction
from rapport.graphql.live import stream


@strawberry.type
class InteractionSubscription:
    @strawberry.subscription(
        description="Each interaction logged that you may read (of one customer when `customer` is given). "
        "Rows and fields pass the same access policy as the `interactions` query.",
        extensions=[secured("interaction", "read")],
    )
    async def interaction_logged(
        self, info: strawberry.Info, customer: strawberry.ID | None = None
    ) -> AsyncGenerator[Interaction, None]:
        customer_id = argument_id(customer, "Customer", "customer") if customer is not None else None

        async def visible(message: dict[str, Any]) -> Interaction | CompiledEvent | None:
            if customer_id is not None and message.get("customer_id") != customer_id:
                return None
            event = await compiled_event(info, "Interaction", int(message["id"]))
            if event is not NOT_COMPILED:
                return event
            row = await (await readable_interactions(info)).filter(id=int(message["id"])).first()
            return Interaction.from_model(row) if row is not None else None

        async for interaction in stream(info, INTERACTIONS, "interaction", visible):
            yield interaction
