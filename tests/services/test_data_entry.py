"""Data-entry standards: what a person typing into the API, the CLI or an import file gets stored."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.services.data_entry import (
    BODY_MAX,
    NAME_MAX,
    SUBJECT_MAX,
    TAG_MAX,
    TAGS_MAX,
    collect,
    normalize_address,
    normalize_body,
    normalize_email,
    normalize_name,
    normalize_optional_text,
    normalize_phone,
    normalize_subject,
    normalize_tags,
)
from rapport.services.errors import DomainError, ErrorCode, Problem, ProblemCollector


def problem_of(fn, *args) -> Problem:
    with pytest.raises(DomainError) as caught:
        fn(*args)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


# --- names and free text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  王\u3000\u3000小明 ", "王 小明"),  # ideographic spaces
        ("Ada\t\n  Lovelace", "Ada Lovelace"),
        ("Jose\u0301 Garci\u0301a", "José García"),  # decomposed accents become NFC
        ("\u00a0Zoë\u2003O'Brien\u00a0", "Zoë O'Brien"),  # no-break and em spaces
    ],
)
def test_names_are_trimmed_collapsed_and_composed(typed: str, stored: str) -> None:
    assert normalize_name(typed, ("input", "name")) == stored


@pytest.mark.parametrize("typed", [None, "", "   ", "\u3000\t\n"])
def test_blank_name_is_required(typed: str | None) -> None:
    assert problem_of(normalize_name, typed, ("input", "name")) == Problem(
        ErrorCode.REQUIRED, "name is required", ("input", "name")
    )


def test_name_at_the_limit_is_kept_and_one_more_is_invalid() -> None:
    assert normalize_name("x" * NAME_MAX, ("input", "name")) == "x" * NAME_MAX
    assert normalize_name("  " + "x" * NAME_MAX + "  ", ("input", "name")) == "x" * NAME_MAX
    assert problem_of(normalize_name, "x" * (NAME_MAX + 1), ("input", "name")) == Problem(
        ErrorCode.INVALID, "name must be at most 200 characters", ("input", "name")
    )


def test_control_characters_in_a_name_are_invalid() -> None:
    problem = problem_of(normalize_name, "Bob\x00by", ("input", "name"))
    assert (problem.code, problem.path) == (ErrorCode.INVALID, ("input", "name"))


def test_optional_text_is_none_when_empty_and_limited() -> None:
    path = ("input", "company")
    assert normalize_optional_text(None, path, 200) is None
    assert normalize_optional_text(" \t ", path, 200) is None
    assert normalize_optional_text("  Acme \n Corp ", path, 200) == "Acme Corp"
    assert problem_of(normalize_optional_text, "x" * 201, path, 200) == Problem(
        ErrorCode.INVALID, "company must be at most 200 characters", path
    )


# --- email -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Alice.Smith@Example.COM ", "alice.smith@example.com"),
        ("alice@Bücher.de", "alice@bücher.de"),
        ("alice@xn--bcher-kva.de", "alice@bücher.de"),  # punycode and Unicode forms dedupe together
        ("用户@例子.广告", "用户@例子.广告"),
    ],
)
def test_emails_are_normalized_and_lower_cased(typed: str, stored: str) -> None:
    assert normalize_email(typed, ("input", "email")) == stored


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_blank_email_is_none(typed: str | None) -> None:
    assert normalize_email(typed, ("input", "email")) is None


@pytest.mark.parametrize("typed", ["alice", "alice@@example.com", "alice@example", "a b@example.com"])
def test_invalid_email_says_why_with_the_path(typed: str) -> None:
    problem = problem_of(normalize_email, typed, ("input", "email"))
    assert (problem.code, problem.path) == (ErrorCode.INVALID, ("input", "email"))
    assert problem.message.startswith("email is not valid: ")


def test_invalid_email_message_carries_the_validator_reason() -> None:
    assert problem_of(normalize_email, "alice.example.com", ("input", "email")).message == (
        "email is not valid: An email address must have an @-sign."
    )


def test_overlong_email_is_invalid() -> None:
    problem = problem_of(normalize_email, "a" * 320 + "@example.com", ("input", "email"))
    assert problem == Problem(ErrorCode.INVALID, "email must be at most 320 characters", ("input", "email"))


# --- phone -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("+86 138 0013 8000", "US", "+8613800138000"),  # leading + ignores the region
        ("(415) 555-2671", "US", "+14155552671"),
        ("(415) 555-2671", "us", "+14155552671"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("138 0013 8000", "CN", "+8613800138000"),
        ("030 901820", "DE", "+4930901820"),
        ("00 44 20 7946 0958", "DE", "+442079460958"),  # international prefix of the region
        ("011 44 20 7946 0958", "US", "+442079460958"),
    ],
)
def test_phones_are_stored_as_e164(typed: str, region: str, stored: str) -> None:
    assert normalize_phone(typed, ("input", "phone"), region) == stored


@pytest.mark.parametrize("typed", [None, "", "  "])
def test_blank_phone_is_none(typed: str | None) -> None:
    assert normalize_phone(typed, ("input", "phone"), "US") is None


def test_national_number_is_read_in_the_given_region() -> None:
    assert normalize_phone("020 7946 0958", ("input", "phone"), "GB") == "+442079460958"
    assert problem_of(normalize_phone, "020 7946 0958", ("input", "phone"), "US") == Problem(
        ErrorCode.INVALID, "phone is not a valid number for region US", ("input", "phone")
    )
    assert problem_of(normalize_phone, "138 0013 8000", ("input", "phone"), "US").code == ErrorCode.INVALID


@pytest.mark.parametrize("typed", ["abc", "+44 7700 900123", "+1 555 555 5555", "+999 1234"])
def test_invalid_phone_is_invalid(typed: str) -> None:
    assert problem_of(normalize_phone, typed, ("input", "phone"), "US") == Problem(
        ErrorCode.INVALID, "phone is not a valid phone number", ("input", "phone")
    )


def test_phone_extension_is_refused() -> None:
    assert problem_of(normalize_phone, "+1 415 555 2671 ext. 12", ("input", "phone"), "US") == Problem(
        ErrorCode.INVALID, "phone extensions are not supported", ("input", "phone")
    )


# --- tags ------------------------------------------------------------------------------------------


def test_tags_are_lower_cased_deduplicated_and_keep_their_order() -> None:
    typed = ["  VIP ", "New   Lead", "vip", "", "  ", "new lead", "Beta"]
    assert normalize_tags(typed, ("input", "tags")) == ["vip", "new lead", "beta"]
    assert normalize_tags(None, ("input", "tags")) == []


def test_overlong_tag_is_invalid_at_its_index() -> None:
    assert normalize_tags(["a", "x" * TAG_MAX], ("input", "tags")) == ["a", "x" * TAG_MAX]
    assert problem_of(normalize_tags, ["a", "x" * (TAG_MAX + 1)], ("input", "tags")) == Problem(
        ErrorCode.INVALID, "tag must be at most 50 characters", ("input", "tags", "1")
    )


def test_too_many_tags_are_invalid_but_repeats_do_not_count() -> None:
    many = [f"t{i}" for i in range(TAGS_MAX)]
    assert normalize_tags(many + many, ("input", "tags")) == many
    problem = problem_of(normalize_tags, [*many, "one more"], ("input", "tags"))
    assert (problem.code, problem.path) == (ErrorCode.INVALID, ("input", "tags"))


# --- address ---------------------------------------------------------------------------------------


def test_address_is_trimmed_and_country_upper_cased() -> None:
    typed = {"line1": " 1  Main St ", "city": "Springfield", "postalCode": " 12345 ", "country": "us"}
    assert normalize_address(typed, ("input", "address")) == {
        "line1": "1 Main St",
        "line2": None,
        "city": "Springfield",
        "region": None,
        "postalCode": "12345",
        "country": "US",
    }


@pytest.mark.parametrize("typed", [None, {}, {"line1": "  ", "country": ""}, {"city": None}])
def test_empty_address_is_none(typed: dict | None) -> None:
    assert normalize_address(typed, ("input", "address")) is None


@pytest.mark.parametrize("country", ["XX", "USA", "U", "ZZ", "AC"])
def test_unknown_country_is_invalid_at_the_country(country: str) -> None:
    problem = problem_of(normalize_address, {"country": country}, ("input", "address"))
    assert (problem.code, problem.path) == (ErrorCode.INVALID, ("input", "address", "country"))


@pytest.mark.parametrize("country", ["DE", "cn", "AQ", "gs"])  # AQ/GS have no phone plan, still ISO codes
def test_known_countries_are_accepted(country: str) -> None:
    assert normalize_address({"country": country}, ("input", "address"))["country"] == country.upper()


def test_overlong_address_part_and_unknown_key_are_invalid_with_their_path() -> None:
    problem = problem_of(normalize_address, {"city": "x" * 101}, ("input", "address"))
    assert problem == Problem(ErrorCode.INVALID, "city must be at most 100 characters", ("input", "address", "city"))
    problem = problem_of(normalize_address, {"zip": "12345"}, ("input", "address"))
    assert (problem.code, problem.path) == (ErrorCode.INVALID, ("input", "address", "zip"))


# --- subject and body ------------------------------------------------------------------------------


def test_subject_limits() -> None:
    path = ("input", "subject")
    assert normalize_subject("  Order \n late ", path) == "Order late"
    assert normalize_subject("s" * SUBJECT_MAX, path) == "s" * SUBJECT_MAX
    assert problem_of(normalize_subject, "s" * (SUBJECT_MAX + 1), path) == Problem(
        ErrorCode.INVALID, "subject must be at most 300 characters", path
    )
    assert problem_of(normalize_subject, "   ", path).code == ErrorCode.REQUIRED


def test_body_keeps_inner_newlines_and_has_a_limit() -> None:
    path = ("input", "body")
    assert normalize_body("\n  Hello,\n\n  indented line\n", path) == "Hello,\n\n  indented line"
    assert normalize_body(" \n ", path) is None
    assert normalize_body(None, path) is None
    assert normalize_body("b" * BODY_MAX, path) == "b" * BODY_MAX
    assert problem_of(normalize_body, "b" * (BODY_MAX + 1), path) == Problem(
        ErrorCode.INVALID, "body must be at most 100000 characters", path
    )


# --- reporting every problem at once ---------------------------------------------------------------


def test_collect_reports_every_problem_of_an_input() -> None:
    problems = ProblemCollector()
    name = collect(problems, normalize_name, "  ", ("input", "name"))
    email = collect(problems, normalize_email, "not-an-email", ("input", "email"))
    phone = collect(problems, normalize_phone, "(415) 555-2671", ("input", "phone"), "US")
    tags = collect(problems, normalize_tags, ["x" * 51], ("input", "tags"))
    assert (name, email, phone, tags) == (None, None, "+14155552671", None)
    assert [(p.code, p.path) for p in problems.problems] == [
        (ErrorCode.REQUIRED, ("input", "name")),
        (ErrorCode.INVALID, ("input", "email")),
        (ErrorCode.INVALID, ("input", "tags", "0")),
    ]
    with pytest.raises(DomainError) as caught:
        problems.raise_if_any()
    assert len(caught.value.problems) == 3


@pytest.mark.parametrize("typed", [42, ["a"], {"a": 1}])
def test_non_text_from_a_json_import_is_invalid_not_a_crash(typed: object) -> None:
    assert problem_of(normalize_name, typed, ("rows", "3", "name")).path == ("rows", "3", "name")
    assert problem_of(normalize_phone, typed, ("rows", "3", "phone"), "US").code == ErrorCode.INVALID
    assert problem_of(normalize_email, typed, ("rows", "3", "email")).code == ErrorCode.INVALID


# --- properties ------------------------------------------------------------------------------------


@given(st.text())
def test_normalize_name_is_idempotent_and_only_raises_domain_errors(text: str) -> None:
    try:
        once = normalize_name(text, ("input", "name"))
    except DomainError:
        return
    assert normalize_name(once, ("input", "name")) == once


@given(st.lists(st.text(max_size=60), max_size=60))
def test_normalize_tags_is_idempotent_and_only_raises_domain_errors(values: list[str]) -> None:
    try:
        once = normalize_tags(values, ("input", "tags"))
    except DomainError:
        return
    assert normalize_tags(once, ("input", "tags")) == once


@given(st.one_of(st.emails(), st.text(), st.builds(lambda e: e.upper(), st.emails())))
def test_normalize_email_is_idempotent_and_only_raises_domain_errors(text: str) -> None:
    try:
        once = normalize_email(text, ("input", "email"))
    except DomainError:
        return
    assert normalize_email(once, ("input", "email")) == once


@given(st.text(), st.sampled_from(["US", "GB", "CN", "DE"]))
def test_other_normalizers_only_raise_domain_errors(text: str, region: str) -> None:
    for fn, args in [
        (normalize_phone, (region,)),
        (normalize_optional_text, (100,)),
        (normalize_subject, ()),
        (normalize_body, ()),
    ]:
        try:
            fn(text, ("input", "x"), *args)
        except DomainError:
            pass
    try:
        normalize_address({"country": text, "city": text}, ("input", "address"))
    except DomainError:
        pass
