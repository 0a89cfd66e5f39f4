"""Lua scripts of a package, run in Redis by EVALSHA."""

from __future__ import annotations

from importlib import resources

from redis.commands.core import Script

from .extensions import redis_store


class LuaScripts:
    """The scripts in a package's `lua/` folder, by name; each is registered once per
    Redis client (a new client after a reconnect or in a test registers them again),
    and redis-py reloads one that the server lost (NOSCRIPT)."""

    def __init__(self, package: str) -> None:
        self._package = package
        self._sources: dict[str, str] = {}
        self._client_id: int | None = None
        self._scripts: dict[str, Script] = {}

    def __getitem__(self, name: str) -> Script:
        client = redis_store.client
        if self._client_id != id(client):
            self._scripts = {}
            self._client_id = id(client)
        if name not in self._scripts:
            self._scripts[name] = client.register_script(self._source(name))
        return self._scripts[name]

    def _source(self, name: str) -> str:
        if name not in self._sources:
            folder = resources.files(self._package).joinpath("lua")
            self._sources[name] = folder.joinpath(f"{name}.lua").read_text()
        return self._sources[name]
