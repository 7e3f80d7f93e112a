"""The type declarations the compiler reads agree with the schema clients see: every declared field is a
field of its GraphQL type, of the kind the declaration says, and every core field of a declared type is
declared. A field added to a type without its declaration fails here (it would silently send every read
that selects it back to the resolvers)."""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType

from rapport.compiler.selection import named_type
from rapport.graphql.schema import build_schema
from rapport.mapping.declarations import TYPES
from rapport.mapping.kinds import (
    Classified, Column, Computed, Count, CustomJson, Embedded, EnumColumn, NodeId, Personal, PersonalObject, Records,
    ToMany, ToOne,
)

SCALARS = {"text": "String", "int": "Int", "bool": "Boolean", "datetime": "DateTime", "json": "JSON",
           "json_list": "String", "json_object": "JSON"}


def _schema():
    return build_schema()._schema


def test_every_declared_field_is_a_field_of_its_type_of_the_declared_kind() -> None:
    schema = _schema()
    for declaration in TYPES.values():
        graphql_type = schema.get_type(declaration.name)
        assert isinstance(graphql_type, GraphQLObjectType), declaration.name
        for name, kind in declaration.fields.items():
            field = graphql_type.fields.get(name)
            assert field is not None, f"{declaration.name}.{name} is declared but not in the schema"
            target, is_list = named_type(field.type)
            where = f"{declaration.name}.{name}"
            if isinstance(kind, Column):
                assert isinstance(target, GraphQLScalarType) and target.name == SCALARS[kind.kind], where
                assert is_list == (kind.kind == "json_list"), where
            elif isinstance(kind, EnumColumn):
                assert isinstance(target, GraphQLEnumType), where
                assert {v.value for v in target.values.values()} >= {m.value for m in kind.enum} or \
                    set(target.values) == {m.name for m in kind.enum}, where
            elif isinstance(kind, NodeId):
                assert target.name == "ID" and isinstance(field.type, GraphQLNonNull) and kind.type_name == declaration.name, where
            elif isinstance(kind, Personal):
                assert target.name == "String" and not isinstance(field.type, GraphQLNonNull), where
            elif isinstance(kind, PersonalObject):
                assert set(kind.columns) == set(target.fields), where
            elif isinstance(kind, (ToOne, Embedded)):
                assert target.name == (kind.target if isinstance(kind, ToOne) else kind.type_name) and not is_list, where
            elif isinstance(kind, ToMany):
                assert target.name == f"{kind.target}Connection", where
                assert set(field.args) == set(kind.arguments), where
            elif isinstance(kind, Records):
                assert target.name == kind.target and is_list and set(field.args) == {"first", "after"}, where
            elif isinstance(kind, Count):
                assert target.name == "Int" and isinstance(field.type, GraphQLNonNull), where
            elif isinstance(kind, (CustomJson, Classified, Computed)):
                assert target.name in ("JSON", "Classification", "Int", "Boolean", "String"), where
            else:  # pragma: no cover - a new kind needs its check here
                raise AssertionError(f"{where}: unchecked kind {kind!r}")


def test_every_core_field_of_a_declared_type_is_declared() -> None:
    schema = _schema()
    for declaration in TYPES.values():
        fields = set(schema.get_type(declaration.name).fields)
        assert fields == set(declaration.fields), (declaration.name, sorted(fields ^ set(declaration.fields)))


def test_the_address_keeps_what_its_mask_keeps() -> None:
    from rapport.authz.masking import mask_address

    address = TYPES["Customer"].fields["address"]
    masked = mask_address({name: "x" for name in address.columns})
    assert {name for name, value in masked.items() if value is not None} == set(address.kept)
