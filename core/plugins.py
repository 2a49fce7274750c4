"""Finding, loading and validating plugins: the five built-ins and third parties alike.

A plugin that fails, in its import or in any hook core calls while the app starts, is
skipped and listed as failed, so one bad package cannot take the city's system down;
`WUGUAN_STRICT_PLUGINS=1` (CI) turns that into a start-up error naming the plugin and the hook.
A category claimed by two modes always stops start-up: members would be managed twice.

Hooks run in load order, the built-ins (in `BUILTIN_PLUGINS` order) then entry points (by
name): pluggy calls the last registered first, so plugins are registered in reverse.
"""
from dataclasses import dataclass, field
import functools
import importlib
import importlib.metadata
import inspect
import logging
from pathlib import Path
import re
import time

from flask import current_app
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
import pluggy

from . import hookspecs
from .errors import PluginConflictError
from .contract import API_VERSION, Mode

log = logging.getLogger("wuguan.plugins")

BUILTIN_PLUGINS = ("plugins.direct", "plugins.dual", "plugins.joint", "plugins.takeover", "plugins.assist")
ENTRY_POINT_GROUP = "wuguan"
KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class PluginLoadError(RuntimeError):
    pass


class PluginSettingsError(ValueError):
    """An operator's setting that its plugin does not have, or of the wrong type: start-up stops."""


@dataclass
class PluginRecord:
    name: str
    module: str
    version: str
    source: str  # "builtin" | "entrypoint"
    state: str = "loaded"  # "loaded" | "disabled" | "failed"
    reason: str | None = None
    hooks: list = field(default_factory=list)
    modes: list = field(default_factory=list)
    plugin: object = None

    def as_dict(self):
        return {"name": self.name, "module": self.module, "version": self.version, "source": self.source,
                "state": self.state, "reason": self.reason, "hooks": self.hooks,
                "modes": [{"key": m.key, "title": str(m.title),
                           "categories": {k: str(v) for k, v in m.categories.items()}} for m in self.modes]}


def _wuguan_version():
    try:
        return importlib.metadata.version("wuguan")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def _candidates():
    """(name, module, loader, version, source, wuguan requirement) for every plugin this installation knows of."""
    version = _wuguan_version()
    for module in BUILTIN_PLUGINS:
        yield (module.rsplit(".", 1)[-1], module, (lambda m=module: importlib.import_module(m)), version, "builtin",
               None)
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        dist_version = ep.dist.version if ep.dist else "0+unknown"
        yield ep.name, ep.value, ep.load, dist_version, "entrypoint", _wuguan_requirement(ep.dist)


def _wuguan_requirement(dist):
    """The range of wuguan versions the plugin's distribution declares it works with, if any."""
    for line in (dist.requires or []) if dist else []:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) == "wuguan" and not requirement.marker:
            return requirement
    return None


def _incompatible(requirement):
    if requirement is None or not requirement.specifier:
        return None
    installed = _wuguan_version()
    if requirement.specifier.contains(installed, prereleases=True):
        return None
    return f"needs wuguan{requirement.specifier}, this is wuguan {installed}"


def _unsupported_api(plugin):
    """Why the plugin's declared `WUGUAN_API` range excludes this wuguan's plugin API, if it does.

    A plugin that declares nothing was written before the API had a version (0.x): 1.0 only
    added to it, so such a plugin is taken as compatible."""
    declared = getattr(plugin, "WUGUAN_API", None)
    if declared is None:
        return None
    try:
        supported = SpecifierSet(str(declared))
    except InvalidSpecifier:
        return f"WUGUAN_API {declared!r} is not a version range such as '>=1.0,<2'"
    if supported.contains(API_VERSION, prereleases=True):
        return None
    return f"supports plugin API {supported}, this wuguan provides plugin API {API_VERSION}"


class PluginHost:
    """The plugin manager of one app, with what was loaded and why the rest was not."""

    def __init__(self, allow=None, disabled=(), strict=False, trace=False):
        self.pm = pluggy.PluginManager("wuguan")
        self.pm.add_hookspecs(hookspecs)
        self.hook = self.pm.hook
        self.records = {}
        self.modes = {}
        self.categories = {}
        self._allow = set(allow) if allow else None
        self._disabled = set(disabled)
        self._strict = strict
        self._trace = trace
        if trace:
            log.setLevel(logging.INFO)  # the calls are logged at INFO, below the default WARNING

    def load(self):
        imported = []
        for name, module, loader, version, source, requirement in _candidates():
            record = PluginRecord(name, module, version, source)
            if name in self.records:
                record.state, record.reason = "failed", f"plugin name {name!r} is already taken by {self.records[name].module}"
                self.records[f"{name} ({module})"] = record
                self._fail(record)
                continue
            self.records[name] = record
            if self._allow is not None and name not in self._allow:
                record.state, record.reason = "disabled", "not in WUGUAN_PLUGINS"
                continue
            if name in self._disabled:
                record.state, record.reason = "disabled", "in WUGUAN_DISABLED_PLUGINS"
                continue
            problem = _incompatible(requirement)
            if problem:
                record.state, record.reason = "failed", problem
                self._fail(record)
                continue
            try:
                plugin = loader()
                problem = _unsupported_api(plugin) or self._unknown_hooks(plugin)
            except Exception as exc:  # a third party's bug must not stop the city's system
                problem = f"{type(exc).__name__}: {exc}"
            if problem:
                record.state, record.reason = "failed", problem
                self._fail(record)
                continue
            imported.append((record, plugin))
        for record, plugin in reversed(imported):  # so that pluggy calls them in load order
            try:
                self.pm.register(plugin, name=record.name)
                record.plugin = plugin
            except Exception as exc:
                record.state, record.reason = "failed", f"{type(exc).__name__}: {exc}"
                self._fail(record)
        for record, plugin in imported:
            if record.plugin is None:
                continue
            try:
                self._claim_modes(record)
            except PluginConflictError:
                raise
            except Exception as exc:
                self.drop(record, f"wuguan_modes: {type(exc).__name__}: {exc}")
        return self

    def _fail(self, record):
        log.error("plugin %s (%s) failed: %s", record.name, record.module, record.reason)
        if self._strict:
            raise PluginLoadError(f"plugin {record.name} failed: {record.reason}")

    def _unknown_hooks(self, plugin):
        unknown = [n for n, _ in inspect.getmembers(plugin)
                   if n.startswith("wuguan_") and self.pm.parse_hookimpl_opts(plugin, n) is not None
                   and not hasattr(hookspecs, n)]
        return f"unknown hooks: {', '.join(sorted(unknown))}" if unknown else None

    def _claim_modes(self, record):
        plugin = record.plugin
        if self._trace:
            self._trace_calls(record.name, plugin)
        record.hooks = sorted(c.name for c in self.pm.get_hookcallers(plugin))
        modes = [m for result in self.call_one(record.name, "wuguan_modes") or [] for m in result]
        for mode in modes:
            if not isinstance(mode, Mode):
                raise PluginLoadError(f"wuguan_modes returned {mode!r}, not a Mode")
            for key in (mode.key, *mode.categories):
                if not KEY.match(key):
                    raise PluginLoadError(f"key {key!r} must be lower-case letters, digits and _")
        for mode in modes:
            for category in mode.categories:
                if category in self.categories:
                    other = self.categories[category][0]
                    raise PluginConflictError(
                        f"category {category!r} is claimed by mode {mode.key!r} (plugin {record.name}) "
                        f"and by mode {other.key!r} (plugin {self._owner(other)})")
        for mode in modes:
            self.modes[mode.key] = mode
            for category, title in mode.categories.items():
                self.categories[category] = (mode, title)
        record.modes = modes

    def _trace_calls(self, name, plugin):
        """WUGUAN_TRACE_PLUGINS=1: log each call of this plugin's hooks and how long it took."""
        for caller in self.pm.get_hookcallers(plugin):
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function = _timed(caller.name, name, impl.function)

    def drop(self, record, reason):
        """Take a plugin that failed in a hook out of the app: its hooks, its modes, its categories."""
        if record.plugin is not None and self.pm.is_registered(record.plugin):
            self.pm.unregister(record.plugin)
        for mode in record.modes:
            self.modes.pop(mode.key, None)
            for category in mode.categories:
                if self.categories.get(category, (None,))[0] is mode:
                    del self.categories[category]
        record.modes = []
        record.state, record.reason = "failed", reason
        self._fail(record)

    def guarded(self, record, hook_name, **kwargs):
        """Call one plugin's hook while the app starts: if it raises, the plugin is dropped (and
        start-up stops when strict) and None is returned; else the list `call_one` returns."""
        try:
            return self.call_one(record.name, hook_name, **kwargs)
        except Exception as exc:  # a third party's bug must not stop the city's system
            log.exception("plugin %s raised in %s", record.name, hook_name)
            self.drop(record, f"{hook_name}: {type(exc).__name__}: {exc}")
            return None

    def call_staged(self, record, hook_name, argument, target, additions, check=lambda calls: None):
        """Call a hook that adds to `target` (the Admin, the app) through a `Staged` stand-in, then
        make the additions: a plugin that raises half-way, or whose additions `check` refuses
        (it raises), adds nothing and is dropped."""
        staged = Staged(target, additions)
        if self.guarded(record, hook_name, **{argument: staged}) is None:
            return
        try:
            check(staged.calls)
            staged.apply()
        except Exception as exc:
            log.exception("plugin %s: what %s added was refused", record.name, hook_name)
            self.drop(record, f"{hook_name}: {type(exc).__name__}: {exc}")

    def _owner(self, mode):
        return next(r.name for r in self.records.values() if mode in r.modes)

    def call_one(self, name, hook_name, **kwargs):
        """Call one plugin's implementation of a hook; returns [result] or [] if it has none."""
        plugin = self.pm.get_plugin(name)
        return [impl.function(**kwargs) for impl in getattr(self.hook, hook_name).get_hookimpls()
                if impl.plugin is plugin]

    def collect_by_plugin(self, hook_name, **kwargs):
        """(plugin name, item) for every item each plugin returned from a list-returning hook, in load
        order: what registries of checks, rules and indicators keep, to say whose an item is."""
        return [(self.pm.get_name(impl.plugin), item)
                for impl in reversed(getattr(self.hook, hook_name).get_hookimpls())
                for item in impl.function(**kwargs) or []]

    def collect(self, hook_name, **kwargs):
        """Flatten the lists every plugin returned for a list-returning hook."""
        return [item for result in getattr(self.hook, hook_name)(**kwargs) if result for item in result]

    def loaded(self):
        return [r for r in self.records.values() if r.state == "loaded"]

    def activity_kinds(self):
        from .models.activities import KINDS
        kinds = dict(KINDS)
        for mode in self.modes.values():
            kinds.update(mode.activity_kinds)
        return kinds

    def plugin_settings(self, overrides):
        """Each loaded plugin's defaults, updated with what the operator configured for it.

        A key the plugin does not declare, or a value of another type than its default,
        stops start-up with a message naming the plugin and the key: a mistyped
        threshold must not silently fall back to the default."""
        merged = {}
        for record in self.loaded():
            results = self.guarded(record, "wuguan_settings")
            if results is None:
                continue
            defaults = {}
            for result in results:
                defaults.update(result or {})
            given = overrides.get(record.name) or {}
            for key, value in given.items():
                if key not in defaults:
                    raise PluginSettingsError(f"plugin {record.name} has no setting {key!r} "
                                              f"(it has: {', '.join(sorted(defaults)) or 'none'})")
                expected = type(defaults[key])
                if defaults[key] is not None and not isinstance(value, expected) \
                        and not (expected is float and isinstance(value, int)):
                    raise PluginSettingsError(f"plugin {record.name} setting {key!r} must be {expected.__name__}, "
                                              f"not {type(value).__name__} ({value!r})")
            merged[record.name] = {**defaults, **given}
        unknown = set(overrides) - set(self.records)
        if unknown:
            raise PluginSettingsError(f"settings for unknown plugins: {', '.join(sorted(unknown))}")
        return merged

    def _package_folders(self, name):
        for record in self.loaded():
            module_file = getattr(inspect.getmodule(record.plugin) or record.plugin, "__file__", None)
            if module_file and (Path(module_file).parent / name).is_dir():
                yield str(Path(module_file).parent / name)

    def template_folders(self):
        """Each loaded plugin's `templates/` folder (templates go in a subfolder named for the plugin)."""
        return list(self._package_folders("templates"))

    def translation_folders(self):
        """Each loaded plugin's `translations/` folder: its own catalogs, merged with core's."""
        return list(self._package_folders("translations"))

    def migration_paths(self):
        return [str(path) for record in self.loaded()
                for path in self.guarded(record, "wuguan_migrations") or [] if path]


class Staged:
    """What a plugin's hook is handed instead of the Admin or the app: reading passes through, the
    listed additions are held until the hook has returned, so nothing half-made is left behind."""

    def __init__(self, target, additions):
        self._target, self._additions, self.calls = target, frozenset(additions), []

    def __getattr__(self, name):
        if name in self._additions:
            return lambda *args, **kwargs: self.calls.append((name, args, kwargs))
        return getattr(self._target, name)

    def apply(self):
        for name, args, kwargs in self.calls:
            getattr(self._target, name)(*args, **kwargs)


def _timed(hook_name, plugin_name, function):
    @functools.wraps(function)
    def traced(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            log.info("hook %s plugin %s took %.1f ms", hook_name, plugin_name, (time.perf_counter() - started) * 1000)
    return traced


def host():
    """The plugin host of the current app."""
    return current_app.extensions["wuguan"]
