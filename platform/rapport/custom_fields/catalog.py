"""The custom field definitions of a process's plugins, checked once when the plugins load."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rapport.custom_fields.values import coerce
from rapport.plugin_api import ENTITIES, CustomField, FieldType

if TYPE_CHECKING:
    from rapport.plugin_host import PluginHost

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
CHOICE_NAME = re.compile(r"[^A-Za-z0-9]+")
SORTABLE = frozenset({FieldType.STRING, FieldType.INT, FieldType.DECIMAL, FieldType.DATE, FieldType.DATETIME, FieldType.ENUM})


class FieldDefinitionError(Exception):
    """A plugin declared a custom field Rapport cannot accept; the message names plugin and field."""


def enum_member_name(choice: str) -> str:
    """The GraphQL enum value of a choice: ``north-america`` -> ``NORTH_AMERICA``."""
    name = CHOICE_NAME.sub("_", choice).strip("_").upper()
    return f"_{name}" if name[:1].isdigit() else name


def _problems(field: CustomField) -> list[str]:
    found = []
    if field.entity not in ENTITIES:
        found.append(f"entity must be one of {', '.join(ENTITIES)}")
    if not NAME.match(field.name):
        found.append("name must be snake_case: a lower-case letter, then letters, digits or _ (at most 63)")
    if field.type is FieldType.ENUM:
        names = [enum_member_name(choice) for choice in field.choices]
        if not field.choices:
            found.append("an enum needs choices")
        elif not all(names) or len(set(names)) != len(names) or len(set(field.choices)) != len(field.choices):
            found.append("enum choices must be distinct and give distinct GraphQL names")
    elif field.choices:
        found.append("only enum fields have choices")
    if field.pii and field.entity != "customer":
        found.append("pii is supported on customer fields (resource customer.<name> in the customer.pii group)")
    if field.indexed and field.type not in SORTABLE | {FieldType.BOOL}:
        found.append(f"{field.type.value} fields cannot be indexed")
    if field.default is not None:
        try:
            coerce(field, field.default)
        except ValueError as exc:
            found.append(f"default {exc}")
    return found


@dataclass(frozen=True)
class FieldCatalog:
    """Definitions by entity, in declaration order."""

    fields: tuple[CustomField, ...] = ()

    @classmethod
    def collect(cls, host: PluginHost) -> FieldCatalog:
        declared: list[CustomField] = []
        for plugin, definitions in host.call_each_sync("custom_fields", settings=host.settings):
            for definition in definitions:
                declared.append(_owned(definition, host.owner(plugin)))
        return cls.of_definitions(declared)

    @classmethod
    def of_definitions(cls, definitions: Iterable[CustomField]) -> FieldCatalog:
        seen: dict[tuple[str, str], CustomField] = {}
        errors = []
        for definition in definitions:
            for problem in _problems(definition):
                errors.append(f"plugin {definition.owner}: custom field {definition.entity}.{definition.name}: {problem}")
            other = seen.get(definition.key)
            if other is not None:
                errors.append(f"custom field {definition.entity}.{definition.name} is declared by {other.owner} and {definition.owner}")
            seen[definition.key] = definition
        if errors:
            raise FieldDefinitionError("\n".join(errors))
        normalized = tuple(replace(d, default=coerce(d, d.default)) if d.default is not None else d for d in seen.values())
        return cls(normalized)

    def of(self, entity: str) -> list[CustomField]:
        return [field for field in self.fields if field.entity == entity]

    def get(self, entity: str, name: str) -> CustomField | None:
        return next((field for field in self.fields if field.entity == entity and field.name == name), None)

    def pii(self, entity: str = "customer") -> list[CustomField]:
        return [field for field in self.of(entity) if field.pii]

    @property
    def pii_resources(self) -> frozenset[str]:
        return frozenset(f"{field.entity}.{field.name}" for field in self.fields if field.pii)

    def owned_by(self, owner: str) -> list[CustomField]:
        return [field for field in self.fields if field.owner == owner]


def _owned(definition: CustomField, owner: str) -> CustomField:
    if not isinstance(definition, CustomField):
        raise FieldDefinitionError(f"plugin {owner}: custom_fields must return CustomField values, not {type(definition).__name__}")
    try:
        kind = FieldType(definition.type)
    except ValueError:
        raise FieldDefinitionError(
            f"plugin {owner}: custom field {definition.name}: unknown type {definition.type!r} "
            f"(use one of {', '.join(t.value for t in FieldType)})"
        ) from None
    return replace(definition, type=kind, choices=tuple(definition.choices), owner=owner)
