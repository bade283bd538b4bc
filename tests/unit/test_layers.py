# -*- coding: utf-8 -*-
"""The engine's layers (docs/architecture.md): no lower layer imports a higher one, no import hides in a function.

Every module under plugins/ is parsed with ``ast``; its imports, at module
level and inside functions, are checked against the layer table below.  In
``plugins/module_utils`` an import inside a function is refused unless it is
listed in :data:`FUNCTION_IMPORTS` with its reason (an optional or heavy
third-party dependency, mostly).  And every module_utils module must import
on its own, in a fresh interpreter: an import circle fails there.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, "plugins")
PACKAGE = "ansible_collections.fleet.inventory.plugins"

#: layer of a module (its path below plugins/, without .py), by longest matching prefix; higher may import lower
LAYERS = {
    "module_utils/errors": 0,
    "module_utils/common": 0,
    "module_utils/runtime": 1,
    "module_utils/store": 2,
    "module_utils/host_filter": 2,
    "module_utils/rules": 3,
    # adapters: modules and their AnsibleModule helper, action/inventory/cache plugins, their helpers
    "module_utils/module": 4,
    "plugin_utils": 4,
    "modules": 4,
    "action": 4,
    "inventory": 4,
    "cache": 4,
    "doc_fragments": 4,
}
LAYER_NAMES = {0: "errors/common", 1: "runtime", 2: "store + host_filter", 3: "rules", 4: "adapters"}

#: imports inside functions of module_utils that are allowed: (module path, imported module) -> why
FUNCTION_IMPORTS = {
    ("module_utils/common", "yaml"): "PyYAML is only needed when a mapping is given as YAML text",
    ("module_utils/runtime/process", "ctypes"): "prctl(PR_SET_PDEATHSIG) is only looked up on Linux, once",
    ("module_utils/rules/importer", "importlib.util"): "finding ansible-inventory next to ansible-core only when none is given",
    ("module_utils/rules/constructed", "jinja2"): "Jinja is only parsed when compose/groups/keyed_groups are set",
    ("module_utils/rules/constructed", "ansible.template"): "ansible-core's templating only when constructing",
    ("module_utils/rules/constructed", "ansible._internal._templating._jinja_bits"): "ansible-core internals, guarded by ImportError",
    ("module_utils/rules/constructed", "ansible.plugins.inventory"): "ansible-core's Constructable only when constructing",
    ("module_utils/rules/constructed", "ansible.inventory.data"): "ansible-core's InventoryData only when constructing",
    ("module_utils/rules/constructed", "ansible.parsing.dataloader"): "ansible-core's DataLoader only when constructing",
    ("module_utils/rules/constructed", "ansible.inventory.helpers"): "ansible-core's group vars only when constructing",
    ("module_utils/rules/constructed", "ansible.inventory.manager"): "ansible-core's host patterns only for a limit",
    ("module_utils/store/backends/postgresql", "psycopg"): "psycopg is needed only for a postgresql:// store; SQLite users do not install it",
    ("module_utils/store/backends/postgresql", "pwd"): "the login name, only when a URL names no user",
    ("module_utils/rules/updates", "yaml"): "PyYAML only for a source file's content",
    ("module_utils/runtime/secrets", "cryptography"): "cryptography (Fernet) only when a project credential is encrypted or decrypted",
}


def _modules():
    for folder, _dirs, files in os.walk(PLUGINS):
        for name in sorted(files):
            if name.endswith(".py") and name != "__init__.py":
                path = os.path.join(folder, name)
                yield os.path.relpath(path, PLUGINS)[:-3].replace(os.sep, "/"), path


MODULES = sorted(_modules())


def layer_of(rel):
    best = None
    for prefix, layer in LAYERS.items():
        if (rel == prefix or rel.startswith(prefix + "/")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return None if best is None else best[1]


def _imports(tree):
    """``(imported module, line, inside a function, module the statement names)`` of every import of ``tree``."""
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                out.extend((alias.name, child.lineno, in_function, alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                out.append((child.module, child.lineno, in_function, child.module))
                if child.module.startswith(PACKAGE):
                    # "from ...module_utils.rules import projects" imports the module rules.projects
                    out.extend((child.module + "." + alias.name, child.lineno, in_function, child.module) for alias in child.names)
            visit(child, inside)

    visit(tree, False)
    return out


def _engine_target(module):
    """The path below plugins/ of an imported engine module, or None for anything else."""
    if not module.startswith(PACKAGE + "."):
        return None
    rel = module[len(PACKAGE) + 1:].replace(".", "/")
    if os.path.isfile(os.path.join(PLUGINS, rel + ".py")) or os.path.isdir(os.path.join(PLUGINS, rel)):
        return rel
    return None


def _parsed(path):
    with open(path, encoding="utf-8") as handle:
        return ast.parse(handle.read(), filename=path)


def test_every_module_has_a_layer():
    assert [rel for rel, _p in MODULES if layer_of(rel) is None] == []


@pytest.mark.parametrize("rel, path", MODULES, ids=[m[0] for m in MODULES])
def test_no_lower_layer_imports_a_higher_one(rel, path):
    own = layer_of(rel)
    wrong = []
    for module, line, _in_function, _named in _imports(_parsed(path)):
        target = _engine_target(module)
        if target is None:
            continue
        layer = layer_of(target)
        if layer is not None and layer > own:
            wrong.append("%s:%d imports %s (%s above %s)" % (rel, line, target, LAYER_NAMES[layer], LAYER_NAMES[own]))
    assert wrong == []


ENGINE = [m for m in MODULES if m[0].startswith("module_utils/")]


@pytest.mark.parametrize("rel, path", ENGINE, ids=[m[0] for m in ENGINE])
def test_no_import_hides_in_a_function(rel, path):
    hidden = []
    for module, line, in_function, named in _imports(_parsed(path)):
        if not in_function or (rel, named) in FUNCTION_IMPORTS:
            continue
        if module.startswith(PACKAGE + ".") and _engine_target(module) is None:
            continue  # a name imported from a module (its module is the entry checked)
        hidden.append("%s:%d imports %s inside a function" % (rel, line, module))
    assert hidden == [], "an import inside a function hides a dependency; import at the top (or list it with its reason)"


def test_the_exceptions_listed_have_reasons():
    assert all(reason.strip() for reason in FUNCTION_IMPORTS.values())


def _dotted(rel):
    return PACKAGE + "." + rel.replace("/", ".")


@pytest.mark.parametrize("rel", [m[0] for m in ENGINE], ids=[m[0] for m in ENGINE])
def test_each_engine_module_imports_alone(rel):
    """A fresh interpreter imports the module first of all: an import circle through it fails here."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, ".pytest_collections")] + [p for p in sys.path if p])
    proc = subprocess.run([sys.executable, "-c", "import %s" % _dotted(rel)], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_every_engine_error_lives_in_errors():
    """Each exception class the engine raises is defined in module_utils/errors.py (private control-flow ones aside)."""
    found = []
    for rel, path in ENGINE:
        if rel == "module_utils/errors":
            continue
        for node in ast.walk(_parsed(path)):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = [getattr(b, "id", getattr(b, "attr", "")) for b in node.bases]
                if any(b.endswith(("Error", "Exception")) or b in ("ProcessTimeout", "UpdateBusy", "NotFound") for b in bases):
                    found.append("%s: class %s" % (rel, node.name))
    assert found == []


def test_every_listed_exception_is_still_needed():
    """An entry of FUNCTION_IMPORTS that no module has any more is stale: it would excuse a future hidden import."""
    used = set()
    for rel, path in ENGINE:
        for _module, _line, in_function, named in _imports(_parsed(path)):
            if in_function and (rel, named) in FUNCTION_IMPORTS:
                used.add((rel, named))
    assert sorted(set(FUNCTION_IMPORTS) - used) == [], "stale entries: remove them, or fix their module path"


# ------------------------------------------------------------------------------ the service (an adapter)
# service/ at the collection root (ansible_collections.fleet.inventory.service) is an adapter like the plugins:
# it may import the engine (errors/common, runtime, store, host_filter, rules) and itself, never another adapter
# (modules, action/inventory/cache plugins, plugin_utils, module_utils/module); nothing imports it.
SERVICE = os.path.join(ROOT, "service")
SERVICE_PACKAGE = "ansible_collections.fleet.inventory.service"
#: imports inside functions of service/ that are allowed: (module path below the root, imported module) -> why
SERVICE_FUNCTION_IMPORTS: dict = {}


def _service_modules():
    for folder, _dirs, files in os.walk(SERVICE):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                yield os.path.relpath(path, ROOT)[:-3].replace(os.sep, "/"), path


SERVICE_MODULES = sorted(_service_modules())


def test_the_service_package_exists():
    assert "service/__main__" in [rel for rel, _p in SERVICE_MODULES] and "service/app" in [rel for rel, _p in SERVICE_MODULES]


@pytest.mark.parametrize("rel, path", SERVICE_MODULES, ids=[m[0] for m in SERVICE_MODULES])
def test_the_service_imports_only_the_engine_and_itself(rel, path):
    wrong = []
    for module, line, in_function, named in _imports(_parsed(path)):
        if in_function and (rel, named) not in SERVICE_FUNCTION_IMPORTS:
            wrong.append("%s:%d imports %s inside a function" % (rel, line, module))
        target = _engine_target(module)
        if module.startswith(PACKAGE + ".") and target is not None and layer_of(target) > 3:
            wrong.append("%s:%d imports the adapter %s" % (rel, line, target))
        if module.startswith("ansible_collections.") and not module.startswith((PACKAGE, SERVICE_PACKAGE)):
            wrong.append("%s:%d imports %s" % (rel, line, module))
    assert wrong == []


@pytest.mark.parametrize("rel, path", MODULES, ids=[m[0] for m in MODULES])
def test_nothing_imports_the_service(rel, path):
    assert [module for module, _l, _f, _n in _imports(_parsed(path)) if module.startswith(SERVICE_PACKAGE)] == []


@pytest.mark.parametrize("rel", [m[0] for m in SERVICE_MODULES if not m[0].endswith("__main__")])
def test_each_service_module_imports_alone(rel):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, ".pytest_collections")] + [p for p in sys.path if p])
    dotted = "ansible_collections.fleet.inventory." + rel.replace("/", ".").replace(".__init__", "")
    proc = subprocess.run([sys.executable, "-c", "import %s" % dotted], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_no_sql_in_the_service():
    """SQL text lives in store/ (docs/architecture.md): a route that needs a query adds it to store/listing.py or a repository."""
    found = []
    for rel, path in SERVICE_MODULES:
        for node in ast.walk(_parsed(path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value  # the SQL of this collection is written in capitals
                if ("SELECT " in text and " FROM " in text) or text.lstrip().startswith(("INSERT INTO", "UPDATE ", "DELETE FROM")):
                    found.append("%s:%d" % (rel, node.lineno))
    assert found == []
