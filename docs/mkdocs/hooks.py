"""MkDocs hooks of the focalkit site: generated pages, read from the repository as it is.

* ``api/<module>.md``: one page per public module of ``src/focalkit`` (no path component
  starts with ``_``), rendered by mkdocstrings from the source (nothing is imported); its
  members are the module's ``__all__`` (``filters: public``). A module added or renamed by
  anyone appears or moves on the next build, with no list to edit.
* ``examples/<script>.md``: one page per script of ``examples/`` (its docstring and code).
* ``changelog.md``: the repository's ``CHANGELOG.md``.
* ``pygments.css``: the colours of the code highlighted at build time (no CDN).
* ``bench-report/report.md`` is rendered to ``bench-report/report-md.html``, so that the
  bench's self-contained ``report.html`` beside it is published as it is (mkdocs.yml
  excludes the page from the normal file scan, which would let one replace the other).

Sphinx-style roles left in numpydoc docstrings (``:func:`x```) are shown as code.
"""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel

log = logging.getLogger("mkdocs.hooks.focalkit")

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = SRC / "focalkit"
EXAMPLES = ROOT / "examples"


def public_modules() -> list[str]:
    """Dotted names of the public modules and packages, sorted (packages first)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts):
            continue
        if "tests" in parts:
            continue
        depth = len(parts) + (path.stem == "__init__")
        packages = [SRC.joinpath(*parts[:i]) for i in range(1, depth)]
        if not all((p / "__init__.py").is_file() for p in packages):
            continue  # a folder without __init__.py is not (yet) a package
        names.append(".".join(parts))
    return sorted(set(names), key=lambda n: n.split("."))


def _source(module: str) -> Path:
    base = SRC.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _summary(path: Path) -> str:
    """First line of a file's docstring, as Markdown ("" when there is none)."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except SyntaxError:
        return ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    return _roles_to_code(first)


def _roles_to_code(text: str) -> str:
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def _examples() -> list[Path]:
    return sorted(EXAMPLES.glob("*.py")) if EXAMPLES.is_dir() else []


def _example_page(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    doc = ""
    try:
        doc = ast.get_docstring(ast.parse(text)) or ""
    except SyntaxError:
        pass
    doc = doc.strip().replace("[", "\\[").replace("]", "\\]")
    title = doc.split("\n")[0] if doc else path.stem
    rest = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
    fence = "````" if "```" in text else "```"
    return (
        f"# {path.name}\n\n{_roles_to_code(title)}\n\n{_roles_to_code(rest)}\n\n"
        f"Run it from the repository root: `python examples/{path.name}`.\n\n"
        f"{fence}python\n{text.rstrip()}\n{fence}\n"
    )


def static_all(module: str) -> bool:
    """True when the module's ``__all__`` is a literal list (readable from the source).

    Modules that compute it (names generated from the loss registry, lazy re-exports) are
    documented by importing them (griffe's inspection), so that every name is listed.
    """
    try:
        tree = ast.parse(_source(module).read_text(encoding="utf-8"))
    except SyntaxError:
        return True
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            value = node.value  # type: ignore[attr-defined]
            return isinstance(value, (ast.List, ast.Tuple)) and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
            )
    return True


def _literal_all(module: str) -> list[str]:
    try:
        tree = ast.parse(_source(module).read_text(encoding="utf-8"))
    except SyntaxError:
        return []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ) and isinstance(node.value, (ast.List, ast.Tuple)):
            return [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
    return []


#: module -> the names its API page must show (checked after rendering: strict fails)
EXPECTED: dict[str, list[str]] = {}


def _api_page(module: str) -> str:
    head = (
        f"# `{module}`\n\n"
        f"::: {module}\n"
        "    options:\n"
        "      show_root_heading: false\n"
        "      show_root_toc_entry: false\n"
    )
    if static_all(module):
        EXPECTED[module] = _literal_all(module)
        return head
    return head.replace("show_root_toc_entry: false\n",
                        "show_root_toc_entry: false\n      members: false\n") + _runtime_members(module)


def _runtime_members(module: str) -> str:
    """Markdown for the names of a module whose ``__all__`` is computed at import time."""
    import importlib
    import inspect

    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - a missing extra: say so on the page
        first = " ".join(str(exc).split())
        return (
            "\n!!! note\n"
            f"    This module makes its names when it is imported, and importing it failed "
            f"where this site was built (`{type(exc).__name__}: {first}`). Build the site in "
            "the environment of `make test` to list them.\n"
        )
    EXPECTED[module] = list(getattr(mod, "__all__", []))
    parts = ["\n## Names\n", f"Generated or re-exported when `{module}` is imported (its "
             "`__all__`); each entry shows the signature and the docstring.\n"]
    for name in getattr(mod, "__all__", []):
        obj = getattr(mod, name, None)
        kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "data"
        parts.append(f"### `{name}` {{#{module}.{name}}}\n")
        sig = ""
        if callable(obj):
            try:
                sig = f"{name}{inspect.signature(obj)}"
            except (TypeError, ValueError):
                sig = ""
        if sig:
            parts.append(f"```python\n{'class ' if kind == 'class' else ''}{sig}\n```\n")
        doc = inspect.getdoc(obj) if kind != "data" else None
        if doc:
            parts.append(f"```text\n{doc.rstrip()}\n```\n")
        elif kind == "data":
            parts.append(f"```python\n{name} = {obj!r:.300}\n```\n")
    return "\n".join(parts)


def _api_index(modules: list[str]) -> str:
    lines = [
        "# API reference",
        "",
        "One page per public module; each lists the names of the module's `__all__`. "
        "Modules whose name starts with `_` are private and not listed. Generated from the "
        "docstrings of the source at build time.",
        "",
        "| module | what it is |",
        "|---|---|",
    ]
    for m in modules:
        lines.append(f"| [`{m}`]({m}.md) | {_summary(_source(m)).replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def _nav_entries(modules: list[str]) -> tuple[list[Any], list[Any]]:
    examples = [{p.name: f"examples/{p.stem}.md"} for p in _examples()]
    api: list[Any] = [{"Overview": "api/index.md"}]
    api += [{m: f"api/{m}.md"} for m in modules]
    return examples, api


def on_config(config: Any) -> Any:
    """Append the generated sections to the navigation; add the highlighting CSS."""
    examples, api = _nav_entries(public_modules())
    nav = config.get("nav") or []
    if examples:
        nav.append({"Examples": examples})
    nav.append({"API reference": api})
    config["nav"] = nav
    config["extra_css"] = [*config.get("extra_css", []), "pygments.css"]
    return config


def on_files(files: Files, config: Any) -> Files:
    """Add the generated pages and files."""
    from pygments.formatters import HtmlFormatter

    modules = public_modules()

    def add(path: str, content: str) -> None:
        files.append(File.generated(config, path, content=content))

    add("api/index.md", _api_index(modules))
    for m in modules:
        add(f"api/{m}.md", _api_page(m))
    for p in _examples():
        add(f"examples/{p.stem}.md", _example_page(p))
    changelog = ROOT / "CHANGELOG.md"
    if changelog.is_file():
        add("changelog.md", changelog.read_text(encoding="utf-8"))
    add("pygments.css", HtmlFormatter(style="default").get_style_defs(".highlight"))
    for src_uri in RENAMED:
        old = files.get_file_from_path(src_uri)
        if old is not None:
            files.remove(old)
        page = File.generated(config, src_uri, abs_src_path=str(ROOT / "docs" / src_uri),
                              inclusion=InclusionLevel.INCLUDED)
        page.dest_uri = RENAMED[src_uri]
        files.append(page)
    return files


#: Pages rendered under another name (a static .html file of docs/ has theirs).
RENAMED = {"bench-report/report.md": "bench-report/report-md.html"}


_ROLE_HTML = re.compile(r":(?:func|class|meth|mod|data|attr|obj|exc|math|ref|doc|term):"
                        r"<code>~?([^<]*)</code>")  # fmt: skip
_MATH_HTML = re.compile(r"<p>\.\. math::\s*(.*?)</p>", re.S)


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    """Sphinx roles and ``.. math::`` lines of docstrings, shown as code; API coverage."""
    uri = page.file.src_uri
    if uri.startswith("api/") and uri[4:-3] in EXPECTED:
        module = uri[4:-3]
        ids = set(re.findall(r'id="([^"]+)"', html))
        missing = [n for n in EXPECTED[module] if f"{module}.{n}" not in ids]
        if missing:
            log.warning(f"API page of {module} does not show {', '.join(missing)} (names of "
                        "its __all__)")  # fmt: skip
    html = _ROLE_HTML.sub(r"<code>\1</code>", html)
    return _MATH_HTML.sub(lambda m: f"<pre><code>{m.group(1)}</code></pre>" if m.group(1)
                          else "", html)  # fmt: skip
