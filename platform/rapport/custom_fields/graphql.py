"""GraphQL types generated from the custom field definitions of one app's plugins.

For each entity with fields: ``<Type>CustomFields`` (``CustomerCustomFields { loyaltyPoints region }``)
with one typed field per definition, an enum per enum field (``CustomerCustomRegion``), and the field
``customFields`` on the entity's type. The descriptions name the owning plugin. With no field for an
entity the type and the ``customFields`` field do not exist (an object type without fields is not
valid GraphQL), so the core schema has none and ``custom: JSON`` is always there.

Customer fields flagged ``pii`` are read through the viewer's permission plan like email and phone
(resource ``customer.<name>``, a member of the ``customer.pii`` group): in full, masked (strings keep
their first and last character, other types become null) or null, and reported in
``extensions.redactions``. The same applies to their keys in ``Customer.custom``.
"""

# No ``from __future__ import annotations``: the generated resolvers carry real type objects.

import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

import strawberry
from strawberry.types.field import StrawberryField

from rapport.custom_fields.catalog import FieldCatalog, enum_member_name
from rapport.custom_fields.values import typed
from rapport.plugin_api import CustomField, FieldType

TYPE_NAMES = {"customer": "Customer", "interaction": "Interaction", "ticket": "Ticket"}
SCALARS: dict[FieldType, Any] = {
    FieldType.STRING: str, FieldType.INT: int, FieldType.DECIMAL: Decimal, FieldType.BOOL: bool,
    FieldType.DATE: date, FieldType.DATETIME: datetime, FieldType.STRING_LIST: list[str],
}


def pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def mask_text(value: str) -> str:
    """``Jonathan`` -> ``J***n``; short values keep nothing."""
    return f"{value[0]}***{value[-1]}" if len(value) > 3 else "***"


async def field_mode(info: strawberry.Info, source: Any, resource: str) -> str:
    """How the viewer sees ``resource`` (``customer.<name>``) of the customer ``source``."""
    from rapport.graphql.org.dataloaders import department_codes

    plan = await info.context.plan()
    codes = await department_codes(info)
    row = source.row
    is_own = plan.actor.agent_id is not None and row.owner_id == plan.actor.agent_id
    return plan.field_mode(resource, codes.get(row.department_id, ""), is_own)


async def visible_value(info: strawberry.Info, source: Any, field: CustomField, value: Any) -> Any:
    """``value`` of ``field`` as this viewer may see it (PII fields of customers pass the plan)."""
    if not field.pii:
        return value
    mode = await field_mode(info, source, f"{field.entity}.{field.name}")
    if mode == "full":
        return value
    # Counted for missing values too: counting only the present ones would tell which hidden values exist.
    info.context.redact(f"{TYPE_NAMES[field.entity]}.custom.{field.name}", mode)
    return mask_text(value) if mode == "masked" and isinstance(value, str) else None


async def visible_custom(info: strawberry.Info, source: Any, entity: str, custom: Mapping[str, Any]) -> dict[str, Any]:
    """The ``custom`` JSON with PII fields masked or left out."""
    from rapport.plugins import active

    out = dict(custom or {})
    for field in active().fields.pii(entity):
        shown = await visible_value(info, source, field, out.get(field.name))
        if shown is None:
            out.pop(field.name, None)
        else:
            out[field.name] = shown
    return out


def _enum_type(field: CustomField) -> type[enum.Enum]:
    members = {enum_member_name(choice): choice for choice in field.choices}
    python_enum = enum.Enum(f"{TYPE_NAMES[field.entity]}Custom{pascal(field.name)}", members)  # type: ignore[misc]
    return strawberry.enum(python_enum, description=f"Choices of {field.entity}.{field.name} (custom field of plugin {field.owner}).")


def _description(field: CustomField) -> str:
    text = field.description.rstrip(".") + ". " if field.description else ""
    notes = [f"custom field of plugin {field.owner}"]
    if field.required:
        notes.append("required")
    if field.pii:
        notes.append("personal data: masked or null unless you may read it")
    return f"{text}({'; '.join(notes)})"


def _resolver(field: CustomField, python_type: Any, enum_type: type[enum.Enum] | None) -> Any:
    async def resolve(self, info: strawberry.Info) -> Any:  # noqa: ANN001 - ``self`` is the generated type
        value = typed(field, (self.source.row.custom or {}).get(field.name))
        value = await visible_value(info, self.source, field, value)
        if enum_type is not None and value is not None:
            return enum_type(value) if value in field.choices else None
        return value

    resolve.__annotations__ = {"info": strawberry.Info, "return": Optional[python_type]}
    resolve.__name__ = field.name
    return resolve


def custom_fields_type(entity: str, fields: list[CustomField]) -> type:
    """The generated ``<Type>CustomFields`` class for ``entity``."""
    namespace: dict[str, Any] = {"__annotations__": {"source": strawberry.Private[Any]}, "__module__": __name__}
    for field in fields:
        enum_type = _enum_type(field) if field.type is FieldType.ENUM else None
        python_type = enum_type or SCALARS[field.type]
        namespace[field.name] = strawberry.field(resolver=_resolver(field, python_type, enum_type), description=_description(field))
    owners = ", ".join(sorted({field.owner for field in fields}))
    cls = type(f"{TYPE_NAMES[entity]}CustomFields", (), namespace)
    return strawberry.type(cls, description=f"Typed custom fields of {entity}s, from the installed plugins ({owners}).")


def custom_fields_field(entity: str, generated: type) -> StrawberryField:
    """The ``customFields`` field of the entity's type."""

    def resolve(self) -> Any:  # noqa: ANN001 - ``self`` is the Customer / Interaction / Ticket object
        return generated(source=self)

    resolve.__annotations__ = {"return": generated}
    resolve.__name__ = "custom_fields"
    field = strawberry.field(resolver=resolve, description=f"The custom fields of this {entity}, typed (also in `custom` as JSON).")
    field.python_name = "custom_fields"
    return field


def extra_fields(catalog: FieldCatalog) -> dict[str, list[StrawberryField]]:
    """GraphQL type name -> fields to add (``customFields``) for the entities that have custom fields."""
    out: dict[str, list[StrawberryField]] = {}
    for entity, type_name in TYPE_NAMES.items():
        fields = catalog.of(entity)
        if fields:
            out[type_name] = [custom_fields_field(entity, custom_fields_type(entity, fields))]
    return out
