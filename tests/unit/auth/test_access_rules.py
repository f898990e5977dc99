"""Access rules as a table: rule set x caller x operation -> outcome."""

from __future__ import annotations

import pytest

from auth.errors import AccessDeniedError
from auth.rules import Allow, Caller, Decision, Effect, Rule, allow, decide

ANON = Caller.anonymous()
ALICE = Caller.user("alice")
ADMIN = Caller.user("root", groups=["admin"])
EDITOR = Caller.user("ed", groups=["editors", "staff"])
SYSTEM = Caller.system()
CALLERS = {"anon": ANON, "alice": ALICE, "admin": ADMIN, "editor": EDITOR, "system": SYSTEM}

OPERATIONS = ("create", "get", "list", "update", "delete")

RULE_SETS: dict[str, list[Rule]] = {
    "none": [],
    "owner": [allow.owner()],
    "admin-group": [allow.groups("admin")],
    "authenticated-read": [allow.authenticated(read=True)],
    "public-read": [allow.public(read=True)],
    "blog": [
        allow.owner(),
        allow.groups("editors", operations=["read", "update"]),
        allow.authenticated(operations=["list"]),
        allow.public(operations=["get"]),
    ],
    "owner-or-admin": [allow.owner("author"), allow.groups("admin", "ops")],
}

# One letter per operation, in OPERATIONS order:
# A = allowed for every item, O = allowed only for the caller's own items, - = denied.
TABLE: dict[str, dict[str, str]] = {
    "none": {
        "anon": "-----",
        "alice": "-----",
        "admin": "-----",
        "editor": "-----",
        "system": "AAAAA",
    },
    "owner": {
        "anon": "-----",
        "alice": "OOOOO",
        "admin": "OOOOO",
        "editor": "OOOOO",
        "system": "AAAAA",
    },
    "admin-group": {
        "anon": "-----",
        "alice": "-----",
        "admin": "AAAAA",
        "editor": "-----",
        "system": "AAAAA",
    },
    "authenticated-read": {
        "anon": "-----",
        "alice": "-AA--",
        "admin": "-AA--",
        "editor": "-AA--",
        "system": "AAAAA",
    },
    "public-read": {
        "anon": "-AA--",
        "alice": "-AA--",
        "admin": "-AA--",
        "editor": "-AA--",
        "system": "AAAAA",
    },
    "blog": {
        "anon": "-A---",
        "alice": "OAAOO",
        "admin": "OAAOO",
        "editor": "OAAAO",
        "system": "AAAAA",
    },
    "owner-or-admin": {
        "anon": "-----",
        "alice": "OOOOO",
        "admin": "AAAAA",
        "editor": "OOOOO",
        "system": "AAAAA",
    },
}
EFFECTS = {"A": Effect.ALLOWED, "O": Effect.OWNER_ONLY, "-": Effect.DENIED}


def _cases() -> list[object]:
    return [
        pytest.param(
            rule_set, caller, operation, EFFECTS[row[i]], id=f"{rule_set}-{caller}-{operation}"
        )
        for rule_set, callers in TABLE.items()
        for caller, row in callers.items()
        for i, operation in enumerate(OPERATIONS)
    ]


@pytest.mark.parametrize(("rule_set", "caller", "operation", "expected"), _cases())
def test_access_table(rule_set: str, caller: str, operation: str, expected: Effect) -> None:
    decision = decide(RULE_SETS[rule_set], CALLERS[caller], operation)
    assert decision.effect == expected
    assert decision.allowed == (expected != Effect.DENIED)


def test_table_covers_every_rule_set_and_caller() -> None:
    assert set(TABLE) == set(RULE_SETS)
    assert all(set(row) == set(CALLERS) for row in TABLE.values())


# --- what the store gets from an owner-only decision -----------------------------------


def test_owner_only_update_condition_uses_reserved_placeholders() -> None:
    condition = decide([allow.owner()], ALICE, "update").condition()
    assert condition == (
        "(#__auth_owner0 = :__auth_caller)",
        {"#__auth_owner0": "owner"},
        {":__auth_caller": "alice"},
    )


def test_several_owner_fields_are_alternatives() -> None:
    rules = [allow.owner("author"), allow.owner("editor"), allow.owner("author")]
    condition = decide(rules, ALICE, "delete").condition("__acl")
    assert condition == (
        "(#__acl_owner0 = :__acl_caller OR #__acl_owner1 = :__acl_caller)",
        {"#__acl_owner0": "author", "#__acl_owner1": "editor"},
        {":__acl_caller": "alice"},
    )


def test_owner_only_create_sets_owner_fields_to_the_caller() -> None:
    decision = decide([allow.owner("author"), allow.owner()], ALICE, "create")
    assert decision.effect == Effect.OWNER_ONLY
    assert decision.owner_values == {"author": "alice", "owner": "alice"}
    assert decision.condition() is None  # nothing exists yet to compare with


def test_only_create_assigns_owners() -> None:
    assert decide([allow.owner()], ALICE, "update").owner_values == {}


def test_unconditional_decision_has_no_condition() -> None:
    assert decide([allow.groups("admin")], ADMIN, "update").condition() is None


def test_denied_decision_refuses_to_produce_a_condition() -> None:
    decision = decide([allow.owner()], ANON, "update")
    with pytest.raises(AccessDeniedError):
        decision.condition()
    with pytest.raises(AccessDeniedError):
        decision.require()


@pytest.mark.parametrize("prefix", ["auth", "_auth", "__a-b", "__a b", "#__a", ""])
def test_condition_prefix_must_be_reserved_and_safe(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        decide([allow.owner()], ALICE, "get").condition(prefix)


# --- fail closed -----------------------------------------------------------------------


@pytest.mark.parametrize("caller", list(CALLERS.values()), ids=list(CALLERS))
@pytest.mark.parametrize("operation", ["craete", "read", "", "start", "UPDATE"])
def test_unknown_operation_is_denied_to_everyone(caller: Caller, operation: str) -> None:
    rules = [allow.public(operations=OPERATIONS), allow.owner()]
    assert decide(rules, caller, operation).effect == Effect.DENIED


def test_caller_with_an_unknown_kind_is_denied() -> None:
    forged = Caller.user("mallory")
    object.__setattr__(forged, "kind", "superuser")
    assert decide([allow.authenticated()], forged, "get").effect == Effect.DENIED


def test_something_that_is_not_a_caller_is_denied() -> None:
    assert decide([allow.public(read=True)], object(), "get").effect == Effect.DENIED  # type: ignore[arg-type]


def test_unknown_rule_strategy_grants_nothing() -> None:
    odd = Rule("wildcard", frozenset(OPERATIONS))  # type: ignore[arg-type]
    assert decide([odd], ALICE, "get").effect == Effect.DENIED


def test_caller_kind_is_validated() -> None:
    assert Caller("user", "u1").kind == "user"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="robot"):
        Caller("robot")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="user_id"):
        Caller.user("")
    with pytest.raises(ValueError, match="user_id"):
        Caller(Caller.anonymous().kind, "someone")


# --- declaring rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declare", "error"),
    [
        pytest.param(lambda: allow.owner(operations=["craete"]), ValueError, id="typo-operation"),
        pytest.param(lambda: allow.owner(operations="get"), TypeError, id="string-not-list"),
        pytest.param(lambda: allow.owner(""), ValueError, id="empty-owner-field"),
        pytest.param(lambda: allow.groups(), ValueError, id="no-groups"),
        pytest.param(lambda: allow.groups(""), ValueError, id="empty-group"),
        pytest.param(lambda: allow.public(), ValueError, id="public-needs-operations"),
        pytest.param(lambda: allow.authenticated(operations=[]), ValueError, id="no-operations"),
    ],
)
def test_declaration_mistakes_fail_early(declare: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        declare()  # type: ignore[operator]


def test_read_shorthand_means_get_and_list() -> None:
    assert allow.authenticated(read=True).operations == {"get", "list"}
    assert allow.groups("a", operations=["read", "delete"]).operations == {"get", "list", "delete"}


def test_operation_set_is_extensible_for_workflows() -> None:
    workflow_allow = Allow(operations=("start", "get"))
    rules = [workflow_allow.authenticated(operations=["start"]), workflow_allow.owner()]
    known = workflow_allow.operations
    assert decide(rules, ALICE, "start", known_operations=known).effect == Effect.ALLOWED
    assert decide(rules, ALICE, "get", known_operations=known).effect == Effect.OWNER_ONLY
    assert decide(rules, ANON, "start", known_operations=known).effect == Effect.DENIED
    with pytest.raises(ValueError, match="unknown operations"):
        allow.authenticated(operations=["start"])


def test_system_rule_is_documentation_only() -> None:
    assert decide([allow.system()], ALICE, "get").effect == Effect.DENIED
    assert decide([allow.system()], SYSTEM, "get") == Decision(Effect.ALLOWED, "get")
