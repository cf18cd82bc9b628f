"""A schemathesis check that tests/test_openapi.py loads (SCHEMATHESIS_HOOKS): a request the
OpenAPI document allows may be refused with a 400 only for a reason the document gives for
that operation. JSON Schema cannot express a query's syntax, page x per_page or the order of
two dates, so the descriptions state them; this holds each refusal to its statement."""

import html
import json
import re

import schemathesis

# (what a refusal says, what the operation's description must say for an allowed request to get it)
DESCRIBED = [
    (r"results beyond the first", "a deeper page is a 400"),
    (r"the 'from' date is after the 'to' date", "a `to` before `from` is a 400"),
]
# Refusals that an allowed request must never get: its schema excludes what they refuse.
NEVER = re.compile(r"must be|NUL character|the query is empty|characters long")
# Anything else is about the query's syntax (a one-letter wildcard, too many words, ...).
QUERY_SYNTAX = "A query whose syntax cannot be run is a 400"


@schemathesis.check
def refusals_are_described(ctx, response, case):
    if response.status_code != 400 or case.meta is None or \
            not case.meta.generation.mode.is_positive:
        return None
    message = refusal_message(response.text)
    described = json.dumps(case.operation.definition.raw)
    for said, statement in DESCRIBED:
        if re.search(said, message):
            if statement not in described:
                raise AssertionError(f"refused for a reason the document does not give: "
                                     f"{message!r} (it should say {statement!r})")
            return None
    if NEVER.search(message):
        raise AssertionError(f"a request the document allows was refused: {message!r}")
    if QUERY_SYNTAX not in described:
        raise AssertionError(f"refused for a query syntax the document does not mention: "
                             f"{message!r}")
    return None


def refusal_message(body: str) -> str:
    """The JSON error's message, or the text of an HTML page's error paragraph."""
    try:
        return json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        found = re.search(r'class="error-message"[^>]*>(.*?)</', body, re.S)
        return html.unescape(found.group(1)).strip() if found else body
