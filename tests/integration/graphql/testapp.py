"""The application the GraphQL tests serve: notes on boards, with owner and group rules.

Also a uvicorn factory (``tests.integration.graphql.testapp:create``) so a second API
process can serve the same data file; it reads ``BAAS_*`` like ``baas serve`` does.
"""

from __future__ import annotations

from starlette.applications import Starlette

from auth.rules import allow
from baas.app import create_app
from baas.application import App
from baas.config import Settings
from baas.models import Index, PartitionKey, SortKey, generated_id

app = App("graphql_tests")


@app.model(rules=[allow.owner(), allow.groups("admin"), allow.groups("team", operations=["read"])])
class Note:
    """A note on a board; private to its owner, readable by the team."""

    board: PartitionKey[str]
    id: SortKey[str] = generated_id()
    title: str
    done: bool = False
    rank: int | None = None
    tags: list[str] | None = None
    by_owner = Index(partition="owner", sort="created_at")


@app.model(rules=[allow.owner(), allow.authenticated(read=True)])
class Board:
    """A board every signed-in user can read."""

    id: PartitionKey[str] = generated_id()
    name: str


def create() -> Starlette:
    """The API for the settings in the environment (for ``uvicorn --factory``)."""
    return create_app(Settings.from_env(), app=app)
