"""How long each kind of text may be: one number per kind, for the tables and the API alike.

The tables size their columns with these numbers (``Field(max_length=EMAIL)``) and the request
shapes bound their strings with the types below, so the OpenAPI's ``maxLength`` and the column
cannot drift apart: PostgreSQL refuses a value longer than its column (a 500 if it got that far)
where SQLite stores it. Text kept in unbounded columns (notes, narratives, messages, sealed data)
is bounded here too, so that no request can make the database hold an arbitrary amount.
"""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

__all__ = [
    "ACCESS_CODE",
    "AMOUNT",
    "BLANK",
    "CODE_OF_CONDUCT",
    "CONTACT_OTHER",
    "COUNTRIES_TEXT",
    "COUNTRY",
    "CURRENCY",
    "DOCUMENT_KEY",
    "DOCUMENT_TEXT",
    "EMAIL",
    "ENTITY_TAG",
    "LANGUAGE_TAG",
    "LRN",
    "MAX_DEPTH",
    "MAX_ID",
    "MESSAGE",
    "NAME",
    "NAME_PATTERN",
    "NARRATIVE",
    "NEW_PASSWORD_MAX",
    "NEW_PASSWORD_MIN",
    "NOTE",
    "NO_NUL",
    "ORGANISATION_NAME",
    "PASSWORD",
    "PATTERN_WORDS",
    "PERSON_NAME",
    "PHONE",
    "PURPOSE",
    "REFERENCE",
    "SCHEMA_FILE",
    "SCOPE_CORRIDORS",
    "SCOPE_SECTORS",
    "SEARCH",
    "SOME_TEXT",
    "TOKEN",
    "URL",
    "AccessCode",
    "CountryCode",
    "Email",
    "JsonObject",
    "Name",
    "NewPassword",
    "OrganisationName",
    "Password",
    "PersonName",
    "Url",
]

#: the largest id, revision or sequence number a column holds on every database (PostgreSQL
#: INTEGER); ids and numbers from a request beyond it are refused, never sent to the database
MAX_ID = 2**31 - 1
#: ISO 3166-1 alpha-2
COUNTRY = 2
#: every two-letter code once, space-separated (the roster's countries of operation, shown)
COUNTRIES_TEXT = 26 * 26 * (COUNTRY + 1) - 1
#: an e-mail address: RFC 5321's limit on a forward path
EMAIL = 320
#: a person's name
PERSON_NAME = 200
#: an organisation's or an authority's registered name
ORGANISATION_NAME = 300
#: a workflow's, state's, event's, reason code's or timer's name
NAME = 50
#: a certificate number (LRN), e.g. IRIS000123
LRN = 20
#: a grievance reference, e.g. GRV-7K3QD-M2P8X
REFERENCE = 20
#: a BCP 47 language tag (RFC 5646 recommends supporting 35 characters)
LANGUAGE_TAG = 35
#: a webhook URL
URL = 2000
#: what a code of conduct is called, e.g. iris-standard/1.2
CODE_OF_CONDUCT = 50
#: one schema file of a code of conduct, e.g. principle-A.schema.json
SCHEMA_FILE = 100
#: a password (argon2 hashes any length; this bounds the work a log-in can cost)
PASSWORD = 1024
#: a password being chosen: long enough to resist guessing, short enough for any passphrase
#: (ASVS 2.1.1, 2.1.2); people.password_policy also refuses common and guessable ones
NEW_PASSWORD_MIN = 10
NEW_PASSWORD_MAX = 128
#: the grievance access code given at filing, e.g. 20H6K-CBBQR-7BN5P-DGX63
ACCESS_CODE = 64
#: a subscription's confirm/cancel token
TOKEN = 100
#: a free-text roster search
SEARCH = 300
#: an If-None-Match header: a few entity tags
ENTITY_TAG = 1024
#: why a person's identity is read (recorded with the read)
PURPOSE = 50
#: a note on a transition (the audit trail keeps it)
NOTE = 5000
#: a message between a complainant and the caseworker
MESSAGE = 10000
#: a grievance's narrative
NARRATIVE = 20000
#: any string in a JSON document a request carries (a self-assessment, a transition's data)
DOCUMENT_TEXT = 20000
#: a member name in such a document
DOCUMENT_KEY = 200
#: how deeply a JSON body may nest (our deepest document, a self-assessment, needs about 6)
MAX_DEPTH = 32
#: a phone number as written, e.g. +977 9812345678
PHONE = 40
#: another way to reach a complainant (an app, an address)
CONTACT_OTHER = 500
#: a fee as a decimal, as text
AMOUNT = 20
#: ISO 4217
CURRENCY = 3
#: corridors (origin -> destination) in one accreditation's scope, extensions included
SCOPE_CORRIDORS = 100
#: sectors in one accreditation's scope (each once, from the workflow's list)
SCOPE_SECTORS = 30

#: text PostgreSQL can store: no NUL (the request gate refuses it anywhere, and says so here)
NO_NUL = r"^[^\x00]*$"
#: inside a character class: white space and control characters, the same set for Python's
#: ``re`` (the server) and ECMA-262 (the OpenAPI's readers), whose ``\s`` differ at the edges
BLANK = r"\s\x00-\x20\x7f-\x9f\ufeff"
#: a name: storable, and more than white space
SOME_TEXT = rf"^[^\x00]*[^{BLANK}][^\x00]*$"
#: a workflow's, state's, event's or code's name: letters, digits, ``_``, ``.``, ``-``
NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
#: what each pattern above means, in words a person can act on (a refusal says this, not the
#: regular expression)
PATTERN_WORDS = {
    NO_NUL: "must not contain a NUL character",
    SOME_TEXT: "has no visible character",
    NAME_PATTERN: "letters, digits, _, . or - only",
}

CountryCode = Annotated[str, Meta(min_length=COUNTRY, max_length=COUNTRY, pattern=r"^[A-Z]{2}$",
                                  description="ISO 3166-1 alpha-2, e.g. NP")]
Email = Annotated[str, Meta(min_length=3, max_length=EMAIL, pattern=rf"^[^@{BLANK}]+@[^@{BLANK}]+$",
                            description="An e-mail address")]
#: a name is more than white space
PersonName = Annotated[str, Meta(min_length=1, max_length=PERSON_NAME, pattern=SOME_TEXT)]
OrganisationName = Annotated[str, Meta(min_length=1, max_length=ORGANISATION_NAME,
                                        pattern=SOME_TEXT)]
Name = Annotated[str, Meta(min_length=1, max_length=NAME, pattern=NAME_PATTERN)]
Password = Annotated[str, Meta(min_length=1, max_length=PASSWORD, pattern=NO_NUL)]
NewPassword = Annotated[str, Meta(min_length=NEW_PASSWORD_MIN, max_length=NEW_PASSWORD_MAX,
                                  pattern=NO_NUL)]
AccessCode = Annotated[str, Meta(min_length=1, max_length=ACCESS_CODE, pattern=NO_NUL)]
#: an http(s) URL with a host, an optional port (1-65535) and no credentials; the server's
#: setting IRIS_WEBHOOK_ALLOW_PRIVATE says whether plain http and private hosts are taken too
Url = Annotated[str, Meta(
    min_length=1, max_length=URL,
    pattern=r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])"
            r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}"
            r"|[1-9][0-9]{0,3}))?(?:[/?#][^" + BLANK + "]*)?$",
    description="An https URL that accepts POST, whose host is a public address (a server "
                "set with IRIS_WEBHOOK_ALLOW_PRIVATE also takes http and private hosts)")]

#: what JSON documents in a request hold (a self-assessment, a transition's data, checked by the
#: request gate): JSON Schema can state it only for the first level, so it is said in words
_DOCUMENT = (f"A JSON object. No string or member name in it, at any depth, contains NUL; "
             f"strings hold at most {DOCUMENT_TEXT} characters, member names {DOCUMENT_KEY}; "
             f"the request nests at most {MAX_DEPTH} levels deep.")
#: a JSON object carried in a request, within the limits above
JsonObject = Annotated[dict[str, Any], Meta(description=_DOCUMENT, extra_json_schema={
    "propertyNames": {"maxLength": DOCUMENT_KEY, "pattern": NO_NUL}})]
