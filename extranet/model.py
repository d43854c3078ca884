"""The validated model of an extranet: releases, the vendor, support plans and customers.

Every type here is a frozen pydantic dataclass, so one declaration gives three things that must
never drift apart: the Python model the decisions work on, the validation of what maintainers
write in YAML, and the JSON Schema their editors use (see `extranet.schema`). Checks that need
more than one value (a customer's plan exists, versions are unique) live in `extranet.loading`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import urllib.parse
import zoneinfo
from typing import Annotated, Any, Literal, TypeVar, cast, dataclass_transform

import holidays
import phonenumbers
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, ValidationInfo, WithJsonSchema, model_validator
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError
from stdnum.cz import dic as _cz_dic

CONFIG = ConfigDict(extra="forbid")
"""Unknown keys are errors: a typo in YAML must never be silently ignored."""

_T = TypeVar("_T")


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(Field,))
def model(cls: type[_T]) -> type[_T]:
    """A frozen, keyword-only pydantic dataclass that refuses unknown keys (typed for mypy, which
    cannot see through `dataclass(...)` bound to a name)."""
    return cast("type[_T]", dataclass(config=CONFIG, frozen=True, kw_only=True)(cls))


def _custom(kind: str, message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, message, context)


# --- Scalars -----------------------------------------------------------------------------------


def _matching(pattern: str, kind: str, message: str, **field: Any) -> tuple[Any, ...]:
    """The metadata of a text type that must match `pattern` (`Annotated[str, *_matching(…)]`: a
    type mypy reads as `str`); the schema carries the pattern, errors the message."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.match(value):
            raise _custom(kind, message, value=value)
        return value

    return Field(json_schema_extra={"pattern": pattern}, **field), AfterValidator(check)


Slug = Annotated[
    str,
    *_matching(
        r"^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$",
        "slug",
        "'{value}' is not an id (expected lowercase letters, digits and inner '-' or '_')",
        min_length=1,
        max_length=64,
    ),
]
"""An identifier that also appears in URLs and file names."""

Language = Annotated[str, Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 language code, e.g. cs")]

Version = Annotated[
    str,
    *_matching(
        r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){1,3}$",
        "version",
        "'{value}' is not a version (expected numbers separated by dots, e.g. '5.2.0')",
        description="A release version, e.g. '5.2.0'; quote it in YAML.",
    ),
]

Sha256 = Annotated[
    str, *_matching(r"^[0-9a-f]{64}$", "sha256", "'{value}' is not a sha256 digest (expected 64 lowercase hex digits)")
]


def _company_id(value: str) -> str:
    """IČO: 8 digits, the last a mod-11 check digit, the same rule as a legal entity's DIČ."""
    if _cz_dic.calc_check_digit_legal(value[:-1]) != value[-1]:
        raise _custom("company_id", "'{value}' is not a valid IČO (check digit)", value=value)
    return value


CompanyId = Annotated[
    str,
    *_matching(
        r"^[0-9]{8}$",
        "company_id",
        "'{value}' is not a valid IČO (expected 8 digits)",
        description="Czech company ID (IČO), 8 digits with a check digit; quote it.",
    ),
    AfterValidator(_company_id),
]

_BCRYPT = re.compile(r"^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$")


def _password_hash(value: str) -> str:
    match = _BCRYPT.match(value)
    if not match:
        raise _custom(
            "password_hash", "not a bcrypt hash (expected '$2b$NN$' and 53 characters; never a plain password)"
        )
    if int(match.group(1)) < 10:
        raise _custom("password_hash", "bcrypt cost {cost} is too low (expected at least 10)", cost=int(match.group(1)))
    return value


PasswordHash = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": _BCRYPT.pattern},
        description="bcrypt hash (cost >= 10); set it with `extranet user`.",
    ),
    AfterValidator(_password_hash),
]

_EMAIL = r"[A-Za-z0-9._+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
Email = Annotated[str, *_matching(f"^{_EMAIL}$", "email", "'{value}' is not an e-mail address")]
"""A plain address: it goes into `mailto:` links and the report form, so nothing a URL or a page
would read as syntax (quotes, `?`, `#`, `%`, `<>`) even where RFC 5322 would allow it."""


def _link(value: str) -> str:
    """A link from data leads to a web page over HTTPS or to an e-mail address, nothing else:
    a page renders it as `href`, where `javascript:` or `data:` would run in the reader's browser."""
    parts = urllib.parse.urlsplit(value) if re.fullmatch(r"[!-~]+", value) else None
    if parts is None or not (
        (value.startswith("https://") and parts.hostname and not re.search(r"[\\\"'<>`{}|^]", value))
        or (value.startswith("mailto:") and re.fullmatch(_EMAIL, value.removeprefix("mailto:")))
    ):
        raise _custom(
            "link", "'{value}' is not a link the extranet accepts (expected https://… or mailto:…)", value=value
        )
    return value


Link = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": f"^(https://[^\\s\"'<>`{{}}|^\\\\]+|mailto:{_EMAIL})$"},
        description="https://… or mailto:…; no other kind of link.",
    ),
    AfterValidator(_link),
]

_PHONE = r"^\+?[0-9](?:[0-9 ().-]*[0-9])?$"


def _channel_address(value: str, info: ValidationInfo) -> str:
    """A channel's address becomes a `tel:` or `mailto:` link: a number or an address, nothing else."""
    kind = info.data.get("kind")
    if kind == "phone" and not re.fullmatch(_PHONE, value):
        raise _custom(
            "phone",
            "'{value}' is not a phone number (expected digits, spaces and an optional "
            "leading '+', e.g. '+420 475 200 111')",
            value=value,
        )
    if kind == "email" and not re.fullmatch(_EMAIL, value):
        raise _custom("email", "'{value}' is not an e-mail address", value=value)
    return value


def _phone(value: str) -> str:
    """A phone number in the international format, as `phonenumbers` (Google's libphonenumber) knows
    the numbering plan of the country: a number people can dial from abroad, not a guess."""
    try:
        valid = phonenumbers.is_valid_number(phonenumbers.parse(value, None))
    except phonenumbers.NumberParseException:
        valid = False
    if not valid or not re.fullmatch(r"\+[0-9 ]+", value):
        raise _custom(
            "phone",
            "'{value}' is not a phone number (expected the international format, e.g. '+420 478 571 021')",
            value=value,
        )
    return value


Phone = Annotated[
    str,
    Field(json_schema_extra={"pattern": r"^\+[0-9 ]+$"}, description="International format, e.g. '+420 478 571 021'."),
    AfterValidator(_phone),
]

WebLink = Annotated[
    str,
    *_matching(
        r"^https://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~%/?=&#+-]*)?$",
        "web_link",
        "'{value}' is not a web address (expected https://host/path, without spaces or quotes)",
    ),
]

Login = Annotated[
    str,
    *_matching(
        r"^[a-z0-9][a-z0-9._-]{1,63}$",
        "login",
        "'{value}' is not a login (expected 2-64 lowercase letters, digits, '.', '_', '-')",
    ),
]


FileName = Annotated[
    str,
    *_matching(
        r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._+-]*$",
        "file_name",
        "'{value}' is not a plain file name (letters, digits, '.', '_', '+', '-')",
    ),
]


def _time_of_day(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
        return dt.time.fromisoformat(value)
    if isinstance(value, dt.time):
        return value
    raise _custom("time_of_day", "expected a time of day as 'HH:MM'")


TimeOfDay = Annotated[
    dt.time,
    BeforeValidator(_time_of_day),
    WithJsonSchema({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}),
]


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _custom(
            "time_zone", "'{value}' is not a time zone (expected e.g. 'Europe/Prague')", value=value
        ) from None
    return value


TimeZone = Annotated[str, AfterValidator(_time_zone)]


def _complete(value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
    """Every text must exist in every site language: a customer never meets a missing translation."""
    languages = (info.context or {}).get("languages", ())
    missing = [lang for lang in languages if not value.get(lang, "").strip()]
    if missing:
        raise _custom(
            "languages",
            "missing text in {missing} (every text needs {languages})",
            missing=", ".join(missing),
            languages=", ".join(languages),
        )
    unknown = [lang for lang in value if languages and lang not in languages]
    if unknown:
        raise _custom(
            "languages",
            "text in unknown language {unknown} (the site's languages are {languages})",
            unknown=", ".join(unknown),
            languages=", ".join(languages),
        )
    return value


Text = Annotated[
    dict[Language, str],
    AfterValidator(_complete),
    Field(description="The same text in each site language, e.g. {cs: …, en: …}."),
]
"""A text shown to customers, one entry per site language."""


# --- Releases ----------------------------------------------------------------------------------


@model
class Artifact:
    """One downloadable file of a release, for one module on one platform."""

    id: Slug = Field(description="Unique within the release, e.g. 'server-windows'.")
    module: Slug = Field(description="A module id from customers.yaml `vendor.modules`.")
    platform: Slug = Field(description="A platform id from customers.yaml `vendor.platforms`.")
    file: FileName = Field(description="File name in storage, under the release's version.")
    size: int = Field(gt=0, description="Size in bytes.")
    sha256: Sha256


@model
class Release:
    """One released version, as written in `releases/<version>.yaml`."""

    version: Version
    date: dt.date
    kind: Literal["major", "minor", "patch"] = Field(
        description="major: more extensive enhancement; minor: smaller enhancement; patch: fixes only."
    )
    title: Text
    highlights: tuple[Text, ...] = Field(default=(), description="What is new, one item each.")
    upgrade_notes: tuple[Text, ...] = Field(
        default=(), description="Manual steps a customer must take when an upgrade passes through this release."
    )
    required_stop: bool = Field(
        default=False, description="Upgrades from older versions must install this release before going higher."
    )
    artifacts: tuple[Artifact, ...] = ()


# --- The vendor --------------------------------------------------------------------------------


@model
class Module:
    """A separately licensed part of the product."""

    id: Slug
    name: Text


@model
class Platform:
    id: Slug
    name: str = Field(min_length=1)


@model
class Edition:
    """A product edition; its modules are licensed to every customer on it."""

    id: Slug
    name: str = Field(min_length=1)
    modules: tuple[Slug, ...] = Field(min_length=1)


@model
class User:
    """A person with their own login, as the support terms require (one login per user)."""

    login: Login
    name: str = Field(min_length=1, description="Full name, as support identifies the user.")
    email: Email
    password_hash: PasswordHash


@model
class PlannedRelease:
    """A release the vendor has announced but not shipped: what `next_release` deadlines wait for."""

    version: Version
    date: dt.date = Field(description="The planned release date.")


@model
class Contact:
    """Whom customers call or write to about their contract: renewing support, ordering training."""

    phone: Phone | None = None
    email: Email | None = None


@model
class GuideLink:
    """A page of the content (`content/<language>/<page>`) presented as learning material."""

    page: str = Field(pattern=r"^[a-z0-9][a-z0-9_/-]*\.md$", description="e.g. guides/installation.md")
    title: Text


@model
class Learning:
    """'Vzdělávací materiály na internetu': the guides, presented on the public home."""

    text: Text
    guides: tuple[GuideLink, ...] = ()


@model
class Training:
    """'Školení v sídle Vaší společnosti': how to order it is `order`, sent to the vendor's contact."""

    text: Text
    order: Text


@model
class Forum:
    """The users' discussion forum."""

    url: WebLink
    text: Text


@model
class Standards:
    """The open technologies and standards the product is built on."""

    text: Text
    items: tuple[str, ...] = Field(default=(), description="e.g. PostgreSQL, IMAP, CSV")


@model
class SpecialistsOffer:
    """The invitation above the list of vetted specialists (the list is `vendor.specialists`)."""

    text: Text


@model
class Offers:
    """What the terms offer beyond support, presented on the public home page."""

    learning: Learning | None = None
    training: Training | None = None
    forum: Forum | None = None
    specialists: SpecialistsOffer | None = None
    standards: Standards | None = None


@model
class Specialist:
    """A vetted specialist who proved their knowledge: listed publicly and free of charge."""

    name: str = Field(min_length=1, max_length=200)
    company: str = Field(min_length=1, max_length=200)
    company_id: CompanyId
    region: Text = Field(description="Where they work, e.g. {cs: Ústecký kraj, en: Ústí nad Labem Region}.")
    email: Email
    phone: Phone
    areas: tuple[Text, ...] = Field(min_length=1, description="The areas they proved their knowledge in.")
    vetted: dt.date = Field(description="When the vendor vetted them; shown to staff only.")


@model
class Vendor:
    name: str = Field(min_length=1)
    company_id: CompanyId
    address: str = Field(min_length=1)
    website: Link
    product: str = Field(min_length=1, description="The product name shown across the extranet.")
    modules: tuple[Module, ...] = Field(min_length=1)
    platforms: tuple[Platform, ...] = Field(min_length=1)
    editions: tuple[Edition, ...] = Field(min_length=1)
    staff: tuple[User, ...] = Field(default=(), description="Vendor staff: they see every page.")
    planned_releases: tuple[PlannedRelease, ...] = Field(
        default=(),
        description="Announced releases, the release calendar that `next_release` deadlines "
        "refer to; remove an entry when its manifest is added to releases/.",
    )
    contact: Contact | None = Field(
        default=None, description="Whom customers contact to renew support or order training."
    )
    offers: Offers = Field(default_factory=Offers, description="What the terms offer beyond support.")
    specialists: tuple[Specialist, ...] = Field(
        default=(), description="Vetted specialists, listed on the public page specialists/."
    )


# --- Support plans -----------------------------------------------------------------------------


@model
class Rule:
    """When a response is due, counted from the report (see `extranet.support_calendar`)."""

    kind: Literal[
        "immediate", "same_business_day", "next_business_day", "next_release", "business_days", "calendar_days"
    ]
    days: int = 0


_RULE_NAMES = ("immediate", "same_business_day", "next_business_day", "next_release")


def _rule(value: Any) -> Any:
    if isinstance(value, Rule):
        return value
    if isinstance(value, str) and value in _RULE_NAMES:
        return Rule(kind=value)  # type: ignore[arg-type]  # one of _RULE_NAMES, the Literal's values
    if isinstance(value, dict) and len(value) == 1:
        ((key, days),) = value.items()
        if (
            key in ("business_days", "calendar_days")
            and isinstance(days, int)
            and not isinstance(days, bool)
            and days > 0
        ):
            return Rule(kind=key, days=days)
    raise _custom(
        "rule",
        "expected one of {names}, {business_days: N} or {calendar_days: N} (N >= 1)",
        names=", ".join(_RULE_NAMES),
    )


RuleSpec = Annotated[
    Rule,
    BeforeValidator(_rule),
    WithJsonSchema(
        {
            "oneOf": [
                {"enum": list(_RULE_NAMES)},
                {
                    "type": "object",
                    "properties": {"business_days": {"type": "integer", "minimum": 1}},
                    "required": ["business_days"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"calendar_days": {"type": "integer", "minimum": 1}},
                    "required": ["calendar_days"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]


@model
class ClosedDay:
    """A day the vendor is closed beyond the country's public holidays (company holiday)."""

    date: dt.date
    name: Text


def _country(value: str) -> str:
    if value not in holidays.list_supported_countries():
        raise _custom(
            "country",
            "'{value}' has no public-holiday calendar in the `holidays` package "
            "(expected an ISO 3166-1 code such as 'CZ')",
            value=value,
        )
    return value


@model
class SupportCalendar:
    country: Annotated[str, AfterValidator(_country)] = Field(
        pattern=r"^[A-Z]{2}$", description="Public holidays of this country (ISO 3166-1), from `holidays`."
    )
    timezone: TimeZone
    opens: TimeOfDay
    closes: TimeOfDay
    closed_days: tuple[ClosedDay, ...] = ()


@model
class Channel:
    """A way to reach support."""

    id: Slug
    kind: Literal["phone", "email"]
    # In Annotated, not `= Field(…)`: a field with a Field default is validated before `kind`.
    address: Annotated[
        str,
        Field(min_length=1, description="Phone number (tel: link) or e-mail address (mailto: link)."),
        AfterValidator(_channel_address),
    ]
    hours: Literal["business_hours", "always"] = Field(
        description="business_hours: only while the calendar is open; always: accepted at any time."
    )
    note: Text | None = None


@model
class Response:
    """The response a severity gets: `deadline` is the contractual latest; `target` what is usual."""

    deadline: RuleSpec
    target: RuleSpec | None = None


@model
class Severity:
    id: Slug
    name: Text
    description: Text
    examples: tuple[Text, ...] = ()
    action: Text = Field(description="What happens by the deadline, e.g. 'active resolution started'.")
    response: Response = Field(description="Response on every channel, unless `channels` overrides it.")
    channels: dict[Slug, Response] = Field(default_factory=dict, description="Per-channel response, by channel id.")

    def response_on(self, channel: str) -> Response:
        """The response this severity gets when reported through `channel`."""
        return self.channels.get(channel, self.response)


@model
class Identification:
    """What a support request must carry; without it the vendor may refuse the request."""

    customer: tuple[Literal["company_id", "company_name"], ...] = Field(
        min_length=1, description="Any one of these identifies the customer."
    )
    user: Literal["full_name"] = "full_name"
    version: bool = Field(default=True, description="The product version in use must be given.")
    refuse_without: bool = Field(default=True, description="Support may be refused without identification.")


@model
class Cadence:
    """The release cadence the vendor promises per year.

    "Přibližně šest" ("about six") minor releases is a range, so the timeline can say whether a year
    kept the promise: `minor_between`, by default one either way of `minor_about` (5 to 7)."""

    major_at_least: int = Field(ge=0)
    minor_about: int = Field(ge=0)
    minor_between: tuple[int, int] | None = Field(
        default=None,
        description="What 'about minor_about' means, as [fewest, most] per year; "
        "default: one either way, e.g. [5, 7] for about 6.",
    )

    @property
    def minor_range(self) -> tuple[int, int]:
        if self.minor_between is not None:
            return self.minor_between
        return max(0, self.minor_about - 1), self.minor_about + 1

    @model_validator(mode="after")
    def _range_holds_about(self) -> Cadence:
        if self.minor_between is not None:
            low, high = self.minor_between
            if not 0 <= low <= self.minor_about <= high:
                raise _custom(
                    "cadence",
                    "minor_between [{low}, {high}] must contain minor_about {about} "
                    "(expected [fewest, most] with fewest <= about <= most)",
                    low=low,
                    high=high,
                    about=self.minor_about,
                )
        return self


@model
class Plan:
    """A support plan: the support rules a customer's contract refers to."""

    id: Slug
    name: Text
    description: Text
    languages: tuple[Language, ...] = Field(min_length=1, description="Languages support is given in.")
    calendar: SupportCalendar
    channels: tuple[Channel, ...] = Field(min_length=1)
    severities: tuple[Severity, ...] = Field(min_length=1, description="From the most to the least urgent.")
    includes: tuple[Text, ...] = ()
    excludes: tuple[Text, ...] = ()
    identification: Identification
    cadence: Cadence
    upgrades: Literal["any_to_any", "via_required_stops"] = Field(
        default="any_to_any",
        description="Any version upgrades directly to any higher one, unless a release is a required stop.",
    )


# --- Customers ---------------------------------------------------------------------------------


@model
class Customer:
    id: Slug = Field(description="Appears in URLs; never reused.")
    name: str = Field(min_length=1, description="Company name.")
    company_id: CompanyId
    plan: Slug
    edition: Slug
    modules: tuple[Slug, ...] = Field(default=(), description="Modules licensed beyond the edition's.")
    platforms: tuple[Slug, ...] = Field(min_length=1)
    support_from: dt.date
    support_until: dt.date
    installed_version: Version
    language: Language = Field(description="Preferred language of the extranet.")
    access: Literal["active", "revoked"] = Field(
        default="active", description="revoked: the customer's users lose access with the next deploy."
    )
    users: tuple[User, ...] = Field(min_length=1)


@model
class CustomersFile:
    """The whole of `customers.yaml`."""

    vendor: Vendor
    plans: tuple[Plan, ...] = Field(min_length=1)
    customers: tuple[Customer, ...] = ()


@functools.cache
def version_key(version: str) -> tuple[int, int, int, int]:
    """The order of versions: numeric per part, missing parts are zero ('5.2' == '5.2.0').

    Cached: pages compare the same few versions hundreds of thousands of times."""
    parts = [int(part) for part in version.split(".")]
    return tuple(parts + [0] * (4 - len(parts)))  # type: ignore[return-value]  # four parts, padded
