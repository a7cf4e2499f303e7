"""`mlpoc keys create|revoke|list`: API keys, straight against the backend, since a first key
cannot be made through an API that needs one. The backend is the one `MLPOC_*` configures,
or, with `--stack`, the deployed stack's own (its `settings` output, read from the local
Terraform state, with the cloud's credentials of the user running the command)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from runtime.cli.base import console, emit_json, fail, new_app, plain, table
from runtime.cli.client import JsonOption

if TYPE_CHECKING:
    from adapters.ports import DocumentStore
    from runtime.cli.project import Deployed

app = new_app("API keys (stored as hashes; the key itself is shown once, at creation).")


StackOption = Annotated[
    bool,
    typer.Option("--stack", help="The deployed stack's store (its outputs), not MLPOC_* settings."),
]


def stack_documents(deployed: Deployed) -> DocumentStore:
    """The deployed stack's document store: its settings from the stack's outputs, the
    cloud's credentials checked first (one line if there are none). `mlpoc rehearse` makes
    its first key through here too."""
    from adapters.factory import build_adapters
    from runtime.cli.operate import ops
    from runtime.schema import COLLECTIONS

    ops(deployed.cloud).credentials()
    return build_adapters(COLLECTIONS, deployed.settings()).documents


def _documents(stack: bool) -> DocumentStore:
    from adapters.factory import build_adapters
    from adapters.settings import load_settings
    from runtime.cli.project import load_project
    from runtime.schema import COLLECTIONS

    if stack:
        return stack_documents(load_project().deployed())
    return build_adapters(COLLECTIONS, load_settings()).documents


@app.command()
def create(
    name: Annotated[str, typer.Option(help="Who or what uses the key (recorded on labels).")],
    scope: Annotated[
        list[str],
        typer.Option(help="read, predict, label or admin (repeatable; admin holds all)."),
    ],
    stack: StackOption = False,
    as_json: JsonOption = False,
) -> None:
    """Create a key and print it once."""
    from runtime import api_keys

    try:
        key, token = api_keys.create(_documents(stack), name, scope)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        emit_json({**key.public(), "token": token})
        return
    console.print(plain(f"key {key.id} ({key.name}, scopes {', '.join(key.scopes)}):"))
    console.print(token, markup=False, highlight=False, soft_wrap=True)
    console.print("[dim]Shown only now: store it. Use it as MLPOC_API_KEY or X-API-Key.[/dim]")


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `mlpoc keys list`).")],
    stack: StackOption = False,
) -> None:
    """Revoke a key (the API stops accepting it within MLPOC_API_KEY_CACHE_SECONDS)."""
    from adapters.errors import NotFound
    from runtime import api_keys

    try:
        key = api_keys.revoke(_documents(stack), key_id)
    except NotFound:
        fail(f"no API key with id {key_id!r}: see `mlpoc keys list`", 1)
    console.print(plain(f"revoked {key.id} ({key.name}) at {key.revoked_at}"))


@app.command("list")
def list_keys(stack: StackOption = False, as_json: JsonOption = False) -> None:
    """List keys: id, name, scopes, created and revoked times (never their secrets)."""
    from runtime import api_keys

    keys = api_keys.list_keys(_documents(stack))
    if as_json:
        emit_json([key.public() for key in keys])
        return
    console.print(
        table(
            "API keys",
            ["id", "name", "scopes", "created", "revoked"],
            [(k.id, k.name, ",".join(k.scopes), k.created_at, k.revoked_at) for k in keys],
        )
    )
