"""Read a synthesized stack as Terraform does, offline.

``terraform validate`` needs ``terraform init``, which needs the registry; this
machine has none. What it would catch that matters most for us, this reads
with a real HCL parser (python-hcl2):

- In Terraform's JSON syntax every string is an HCL template: ``${x}`` is an
  expression and ``$${x}`` the literal text ``${x}`` (likewise ``%{`` / ``%%{``).
  Every interpolation and template directive must parse, and every reference
  in it must name something the stack declares.
- Meta-arguments (``depends_on``, ``lifecycle.replace_triggered_by``,
  ``lifecycle.ignore_changes``, ``provider``) are not templates: Terraform
  parses them as bare expressions, where ``$`` is an invalid character.
- The ``terraform`` block is read before anything is evaluated: no
  interpolation there.

What it cannot know: the providers' schemas (argument names, types, allowed
values), functions' signatures and anything decided at plan time. Only a real
``terraform validate``/``plan`` proves those (tests/test_terraform.py, opt-in).

Reference: https://developer.hashicorp.com/terraform/language/syntax/json
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError

# Roots Terraform resolves itself; anything else names a resource type.
ROOTS_ALWAYS_VALID = {
    "path": {"module", "root", "cwd"},
    "terraform": {"workspace"},
}
# Valid only inside a block that sets the meta-argument named here.
CONTEXT_ROOTS = {"count": "count", "each": "for_each"}
META_ARGUMENTS = ("depends_on", "provider", "lifecycle", "count", "for_each", "provisioner", "connection")
COMMENT_KEY = "//"  # Terraform's JSON syntax ignores these properties; cdktf keeps its metadata there.


class TemplateError(ValueError):
    """A string Terraform could not parse as a template."""


@dataclass(frozen=True)
class Reference:
    """A traversal inside a template, e.g. ``aws_s3_bucket.archive.id`` → ("aws_s3_bucket", "archive", "id")."""

    parts: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join(self.parts)


# --- templates -------------------------------------------------------------------


def parse_template(text: str) -> Tree:
    """The parse tree of ``text`` read as a Terraform JSON string (an HCL quoted template)."""
    try:
        tree = hcl2.parses_to_tree(f"x = {json.dumps(text)}\n")
    except (LarkError, ValueError) as error:
        raise TemplateError(" ".join(str(error).split())[:200]) from None
    return tree


def parse_expression(text: str) -> Tree:
    """The parse tree of ``text`` read as a bare HCL expression (meta-arguments in JSON)."""
    try:
        return hcl2.parses_to_tree(f"x = {text}\n")
    except (LarkError, ValueError) as error:
        raise TemplateError(" ".join(str(error).split())[:200]) from None


def _string_parts(tree: Tree) -> list[Any]:
    string = next(tree.find_data("string"))
    parts = [part.children[0] for part in string.children if isinstance(part, Tree) and part.data == "string_part"]
    _check_directives(parts)
    return parts


# python-hcl2 parses directives flat; HCL requires them nested: %{if}…[%{else}…]%{endif}, %{for}…%{endfor}.
_OPENS = {"template_if_start": "template_endif", "template_for_start": "template_endfor"}


def _check_directives(parts: list[Any]) -> None:
    open_blocks: list[str] = []
    for part in parts:
        kind = part.data if isinstance(part, Tree) else None
        if kind in _OPENS:
            open_blocks.append(kind)
        elif kind == "template_else" and (not open_blocks or open_blocks[-1] != "template_if_start"):
            raise TemplateError("%{else} outside %{if}")
        elif kind in _OPENS.values() and (not open_blocks or _OPENS[open_blocks.pop()] != kind):
            raise TemplateError(f"unexpected {kind.removeprefix('template_')} directive")
    if open_blocks:
        raise TemplateError(
            f"unterminated {open_blocks[-1].removeprefix('template_').removesuffix('_start')} directive"
        )


def literal_value(text: str, values: Mapping[str, str] | None = None) -> str:
    """What Terraform passes on for ``text``: escapes resolved, references replaced from ``values``.

    A reference missing from ``values`` is kept as ``<reference>``.
    """
    values = values or {}
    out = []
    for part in _string_parts(parse_template(text)):
        if isinstance(part, Token) and part.type == "STRING_CHARS":
            # The text was quoted with json.dumps (parse_template): undo exactly that quoting.
            out.append(json.loads(f'"{part}"'))
        elif isinstance(part, Token) and part.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
            out.append(json.loads(f'"{str(part)[1:]}"'))  # "$${x}" is the text "${x}"; "%%{x}" is "%{x}"
        elif isinstance(part, Tree) and part.data == "interpolation":
            found = list(references(part))
            name = str(found[0]) if len(found) == 1 else "?"
            out.append(values.get(name, f"<{name}>"))
        else:
            raise TemplateError(f"a template directive where a literal was expected: {part}")
    return "".join(out)


def template_references(text: str) -> list[Reference]:
    """Every reference in the interpolations and directives of a template."""
    tree = parse_template(text)
    found: list[Reference] = []
    for part in _string_parts(tree):
        if isinstance(part, Tree):
            found.extend(references(part))
    return found


def references(tree: Tree) -> Iterator[Reference]:
    """The traversals in an expression tree (function names, object keys and loop variables excluded)."""
    bound: set[str] = set()
    for intro in tree.find_data("for_intro"):
        bound.update(
            str(node.children[0]) for node in intro.children if isinstance(node, Tree) and node.data == "identifier"
        )
    yield from _walk(tree, bound)


def _walk(node: Tree, bound: set[str]) -> Iterator[Reference]:
    if node.data == "expr_term" and (parts := _traversal(node)) is not None:
        if parts[0] not in bound:
            yield Reference(parts)
        return
    for index, child in enumerate(node.children):
        if not isinstance(child, Tree):
            if isinstance(child, Token) and child.type == "TEMPLATE_STRING":
                # A quoted string inside an interpolation is a template of its own.
                inner = str(child)[2:-2]
                yield from template_references(inner.replace('\\"', '"'))
            continue
        if node.data == "function_call" and index == 0:
            continue  # the function's name
        if child.data == "object_elem_key":
            continue  # {name = ...}: a literal key
        if child.data == "for_intro":
            for grandchild in child.children:
                if isinstance(grandchild, Tree) and grandchild.data != "identifier":
                    yield from _walk(grandchild, bound)
            continue
        yield from _walk(child, bound)


def _traversal(expr_term: Tree) -> tuple[str, ...] | None:
    """``a.b[0].c`` as ("a", "b", "[0]", "c"); None when the term is not a traversal."""
    (inner,) = expr_term.children if len(expr_term.children) == 1 else (None,)
    if not isinstance(inner, Tree):
        return None
    if inner.data == "identifier":
        return (str(inner.children[0]),)
    if inner.data in ("get_attr_expr_term", "index_expr_term", "attr_splat_expr_term", "full_splat_expr_term"):
        base = _traversal(inner.children[0])
        if base is None:
            return None
        step = inner.children[1]
        if inner.data == "get_attr_expr_term":
            return (*base, str(next(step.find_data("identifier")).children[0]))
        return (*base, "[*]" if "splat" in inner.data else "[]")
    return None


# --- the stack -------------------------------------------------------------------


@dataclass(frozen=True)
class Declarations:
    """What a stack declares, for resolving references."""

    resources: Mapping[str, set[str]]  # type → names
    data: Mapping[str, set[str]]
    variables: set[str]
    locals: set[str]
    modules: set[str]
    providers: set[str]  # "aws", "aws.alias"

    @classmethod
    def of(cls, document: Mapping[str, Any]) -> Declarations:
        providers: set[str] = set()
        for name, configs in document.get("provider", {}).items():
            for config in configs if isinstance(configs, list) else [configs]:
                providers.add(f"{name}.{config['alias']}" if "alias" in config else name)
        locals_: set[str] = set()
        for block in _blocks(document.get("locals", {})):
            locals_.update(k for k in block if k != COMMENT_KEY)
        return cls(
            resources={t: set(names) - {COMMENT_KEY} for t, names in document.get("resource", {}).items()},
            data={t: set(names) - {COMMENT_KEY} for t, names in document.get("data", {}).items()},
            variables=set(document.get("variable", {})),
            locals=locals_,
            modules=set(document.get("module", {})),
            providers=providers,
        )

    def resolve(self, reference: Reference, context: set[str]) -> str | None:
        """None when Terraform can resolve the reference here, else why not."""
        parts = reference.parts
        root = parts[0]
        attribute = parts[1] if len(parts) > 1 and not parts[1].startswith("[") else None
        if root in ROOTS_ALWAYS_VALID:
            return None if attribute in ROOTS_ALWAYS_VALID[root] else f"{root}.{attribute} does not exist"
        if root in CONTEXT_ROOTS:
            needed = CONTEXT_ROOTS[root]
            return None if needed in context else f"{root}.* needs {needed} on the block"
        if root == "self":
            return None if "provisioner" in context else "self is only valid in provisioners"
        if root in ("var", "local", "module"):
            declared = {"var": self.variables, "local": self.locals, "module": self.modules}[root]
            if attribute is None:
                return f"{root} must be followed by a name"
            return None if attribute in declared else f"{root}.{attribute} is not declared"
        if root == "data":
            if len(parts) < 3:
                return "data needs a type and a name"
            return None if parts[2] in self.data.get(parts[1], set()) else f"data.{parts[1]}.{parts[2]} is not declared"
        if attribute is None:
            return f'a reference to a resource type must be followed by at least one attribute access ("{root}")'
        if root not in self.resources:
            return f'no resource of type "{root}" is declared'
        return None if attribute in self.resources[root] else f"{root}.{attribute} is not declared"


def stack_problems(document: Mapping[str, Any], stack: str = "stack") -> list[str]:
    """One line per thing Terraform would refuse to parse or resolve, naming where it is."""
    declared = Declarations.of(document)
    problems: list[str] = []

    def report(where: str, message: str) -> None:
        problems.append(f"{stack}: {where}: {message}")

    for kind in ("resource", "data"):
        for resource_type, instances in document.get(kind, {}).items():
            for name, body in instances.items():
                if name == COMMENT_KEY:
                    continue
                prefix = "data." if kind == "data" else ""
                address = f"{prefix}{resource_type}.{name}"
                context = {key for key in META_ARGUMENTS if key in body}
                _check_meta_arguments(address, body, declared, report)
                for path, text in _strings(body, skip=("depends_on", "lifecycle", "provider")):
                    _check_template(f"{address}: {path}", text, declared, context, report)
    for section in ("output", "locals", "provider", "module"):
        for path, text in _strings(document.get(section, {})):
            _check_template(f"{section}.{path}", text, declared, set(), report)
    for path, text in _strings(document.get("terraform", {})):
        if template_parts(text):
            report(f"terraform.{path}", f"no interpolation is allowed in the terraform block, got {text!r}")
    return problems


def template_parts(text: str) -> list[Tree]:
    """The interpolations and directives of a template (empty for a literal)."""
    try:
        return [p for p in _string_parts(parse_template(text)) if isinstance(p, Tree)]
    except TemplateError:
        return [Tree("invalid", [])]


def _check_template(where: str, text: str, declared: Declarations, context: set[str], report: Any) -> None:
    if "${" not in text and "%{" not in text:
        return  # no template sequence: the text is its own value
    try:
        found = template_references(text)
    except TemplateError as error:
        report(where, f"not a valid template ({error}): {text!r}")
        return
    for reference in found:
        if (why := declared.resolve(reference, context)) is not None:
            report(where, f"${{{reference}}}: {why}")


def _check_meta_arguments(address: str, body: Mapping[str, Any], declared: Declarations, report: Any) -> None:
    def bare_references(where: str, values: Any, *, attribute_paths: bool = False) -> None:
        if not isinstance(values, list):
            report(where, f"expected a list of bare references, got {values!r}")
            return
        for value in values:
            if not isinstance(value, str):
                report(where, f"expected a bare reference, got {value!r}")
                continue
            try:
                found = list(references(parse_expression(value)))
            except TemplateError as error:
                report(where, f"{value!r} is not a bare expression (Terraform: Invalid character; {error})")
                continue
            if len(found) != 1 or str(found[0]) != value.replace(" ", ""):
                report(where, f"expected a bare reference, got {value!r}")
                continue
            if attribute_paths:
                continue  # ignore_changes names the resource's own arguments
            if (why := declared.resolve(found[0], set())) is not None:
                report(where, f"{value}: {why}")

    if "depends_on" in body:
        bare_references(f"{address}: depends_on", body["depends_on"])
    lifecycle = body.get("lifecycle", {})
    if "replace_triggered_by" in lifecycle:
        bare_references(f"{address}: lifecycle.replace_triggered_by", lifecycle["replace_triggered_by"])
    if "ignore_changes" in lifecycle and lifecycle["ignore_changes"] != "all":
        bare_references(f"{address}: lifecycle.ignore_changes", lifecycle["ignore_changes"], attribute_paths=True)
    for flag in ("prevent_destroy", "create_before_destroy"):
        if flag in lifecycle and not isinstance(lifecycle[flag], bool):
            report(f"{address}: lifecycle.{flag}", f"expected true or false, got {lifecycle[flag]!r}")
    if "provider" in body and body["provider"] not in declared.providers:
        report(f"{address}: provider", f"{body['provider']!r} is not a declared provider configuration")


def _strings(node: Any, path: str = "", skip: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            if key == COMMENT_KEY or (not path and key in skip):
                continue
            yield from _strings(value, f"{path}.{key}" if path else key, skip)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]", skip)


def _blocks(node: Any) -> list[Mapping[str, Any]]:
    return node if isinstance(node, list) else [node]
