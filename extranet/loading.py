"""Loading and validation: YAML and Markdown in, one validated `Extranet` out, or every problem at once.

A maintainer's mistake must come back as `file:line:column: field.path: what was found and what was
expected`, all mistakes of a run together, and never a traceback. So YAML is composed to nodes (which
keep their positions) and constructed here with YAML 1.2 scalars: `00177041` stays text-like instead
of becoming an octal number, `16:00` is not a base-60 integer and `no` is not `False`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import difflib
import os
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

import yaml
from mkdocs.utils import meta as mkdocs_meta
from pydantic import TypeAdapter, ValidationError

from . import access
from .exceptions import ExtranetError
from .model import Customer, CustomersFile, Plan, Release, Vendor, version_key

Loc = tuple[str | int, ...]


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located for an editor's jump-to-line."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class InvalidInput(ExtranetError):
    """Raised with every problem found, so one run reports them all."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems), key=_problem_order)
        super().__init__("\n".join(map(str, self.problems)))


def _problem_order(problem: Problem) -> tuple[Any, ...]:
    return (problem.file, problem.line, problem.column, problem.path, problem.message)


def format_loc(loc: Loc) -> str:
    """`('customers', 2, 'company_id')` -> `customers[2].company_id`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- YAML with positions -----------------------------------------------------------------------


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema scalars, so values mean what a maintainer expects."""


for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:timestamp", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "0123456789"),
):
    _Resolver.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


class _Composer(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _Resolver):
    """PyYAML's own parser: slower, but its syntax errors read best, so it explains them."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)


if yaml.__with_libyaml__:

    class _FastComposer(yaml.cyaml.CParser, _Resolver):  # type: ignore[name-defined, misc]  # types-PyYAML: no CParser
        """libyaml's parser: about ten times faster on valid files, which is nearly all of them."""

        def __init__(self, stream: str) -> None:
            yaml.cyaml.CParser.__init__(self, stream)  # type: ignore[attr-defined]  # (as above)
            _Resolver.__init__(self)
else:  # pragma: no cover
    _FastComposer = _Composer  # type: ignore[misc, assignment]  # the same interface, slower


MAX_DEPTH = 50
"""Nesting deeper than this is a mistake (or an attack) in any of our files."""
ALIAS_BUDGET = 10_000
"""How many values aliases may repeat in one file. An alias repeats what its anchor holds, so ten
lines of aliases of aliases stand for billions of values (an "alias bomb"): the sizes are added up
on the composed graph, where each anchor is one node, before anything is expanded. Rejected:
refusing aliases outright (a maintainer may share a block of users or texts) and PyYAML's loaders,
which expand first and count never."""


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark | None) -> None:
        self.mark = mark


def _compose(text: str) -> yaml.Node | None:
    try:
        try:
            return cast("yaml.Node | None", _FastComposer(text).get_single_node())  # libyaml is untyped
        except yaml.YAMLError:
            return _Composer(text).get_single_node()
    except RecursionError:  # the composers recurse per level; say where it got too deep
        raise _TooDeep(_too_deep_at(text)) from None


def _too_deep_at(text: str) -> yaml.Mark | None:
    """Where nesting first passes MAX_DEPTH, from the parser's events (a flat stream, no recursion)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return cast("yaml.Mark", event.start_mark)  # libyaml's Mark has the same line and column
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None  # pragma: no cover: only called when composing recursed too deep


def _bounds(root: yaml.Node, source: Source) -> list[Problem]:
    """Nesting within MAX_DEPTH, no alias inside itself, and aliases repeating at most ALIAS_BUDGET
    values, all found on the composed graph in time linear in the file."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def at(node: yaml.Node, message: str) -> Problem:
        return Problem(source.file, node.start_mark.line + 1, node.start_mark.column + 1, "", message)

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Refused(at(node, "an alias inside its own anchor (it would never end)"))
        if depth > MAX_DEPTH:
            raise _Refused(at(node, f"nested more than {MAX_DEPTH} levels deep"))
        active.add(key)
        total = 1 + sum(size(child, depth + 1) for child in _children(node))
        active.discard(key)
        sizes[key] = total
        return total

    try:
        size(root, 0)
    except _Refused as refused:
        return [refused.problem]
    spent = 0
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, yaml.Node]] = [(root, root)]
    while pending:  # document order; `place` is where the alias is written (its anchor's node has no mark of it)
        node, place = pending.pop()
        if id(node) in seen:
            spent += sizes[id(node)]
            if spent > ALIAS_BUDGET:
                return [
                    at(place, f"aliases repeat more than {ALIAS_BUDGET} values (an alias bomb?); write the values out")
                ]
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            pending += [(child, key) for key, value in reversed(node.value) for child in (value, key)]
        elif isinstance(node, yaml.SequenceNode):
            pending += [(child, node) for child in reversed(node.value)]
    return []


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


@dataclasses.dataclass
class Source:
    """One parsed YAML file: its data and where each value and key stands in the text."""

    file: str
    data: Any = None
    values: dict[Loc, tuple[int, int]] = dataclasses.field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = dataclasses.field(default_factory=dict)
    texts: dict[Loc, str] = dataclasses.field(default_factory=dict)

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """The closest known position: the value (or key) at `loc`, else its nearest ancestor."""
        if key and loc in self.keys:
            return self.keys[loc]
        while loc:
            if loc in self.values:
                return self.values[loc]
            loc = loc[:-1]
        return self.values.get((), (1, 1))

    def problem(self, loc: Loc, message: str, *, key: bool = False, path: Loc | None = None) -> Problem:
        line, column = self.position(loc, key=key)
        return Problem(self.file, line, column, format_loc(loc if path is None else path), message)


def check_yaml(text: str, file: str) -> tuple[dict[str, tuple[int, int]], list[Problem]]:
    """Syntax and bounds of a YAML file others construct (mkdocs.yml, with its `!ENV` tags):
    the positions of its top-level keys, or its problems. Nothing is constructed here."""
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return {}, [Problem(file, line, column, "", f"YAML syntax error: {error.problem or error.context}")]
    except yaml.YAMLError as error:
        return {}, [Problem(file, 1, 1, "", f"YAML syntax error: {error}")]
    except _TooDeep as error:
        line, column = (error.mark.line + 1, error.mark.column + 1) if error.mark else (1, 1)
        return {}, [Problem(file, line, column, "", f"nested more than {MAX_DEPTH} levels deep")]
    if node is None:
        return {}, []
    problems = _bounds(node, Source(file))
    keys = {
        key.value: (key.start_mark.line + 1, key.start_mark.column + 1)
        for key, _ in (node.value if isinstance(node, yaml.MappingNode) else ())
        if isinstance(key, yaml.ScalarNode)
    }
    return keys, problems


def parse_yaml(text: str, file: str) -> tuple[Source, list[Problem]]:
    """Parse one YAML document, keeping positions; syntax errors come back as problems."""
    source = Source(file)
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = error.problem or error.context or "invalid YAML"
        if "expected a single document" in str(error):
            reason = "expected a single YAML document, found another '---'"
        return source, [Problem(file, line, column, "", f"YAML syntax error: {reason}")]
    except yaml.YAMLError as error:  # reader errors: bad bytes, control characters
        return source, [Problem(file, 1, 1, "", f"YAML syntax error: {error}")]
    except _TooDeep as error:
        line, column = (error.mark.line + 1, error.mark.column + 1) if error.mark else (1, 1)
        return source, [Problem(file, line, column, "", f"nested more than {MAX_DEPTH} levels deep")]
    problems: list[Problem] = []
    if node is None:
        return source, problems
    problems = _bounds(node, source)
    if problems:
        return source, problems
    source.data = _construct(node, (), source, problems, depth=0)
    return source, problems


def _construct(node: yaml.Node, loc: Loc, source: Source, problems: list[Problem], depth: int) -> Any:
    source.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if depth > 50:
        problems.append(source.problem(loc, "nested too deeply (a recursive alias?)"))
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(source.problem(loc, "a key must be plain text"))
                continue
            key = key_node.value
            child = (*loc, key)
            if key in result:
                first = source.keys[child][0]
                source.keys[(*child, "#duplicate")] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                problems.append(
                    source.problem(
                        (*child, "#duplicate"), f"duplicate key '{key}' (first at line {first})", key=True, path=child
                    )
                )
                continue
            source.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _construct(value_node, child, source, problems, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, index), source, problems, depth + 1) for index, item in enumerate(node.value)]
    source.texts[loc] = node.value
    return _scalar(cast("yaml.ScalarNode", node), loc, source, problems)  # neither mapping nor sequence


MAX_DIGITS = 100
"""No number in our files needs more digits; Python refuses to read more than 4300 anyway."""


def _scalar(node: yaml.ScalarNode, loc: Loc, source: Source, problems: list[Problem]) -> Any:
    tag, value = node.tag, node.value
    if tag == "tag:yaml.org,2002:str":
        return value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        if len(value.lstrip("+-")) > MAX_DIGITS:
            problems.append(
                source.problem(
                    loc,
                    f"a number of {len(value.lstrip('+-'))} digits (at most {MAX_DIGITS}); "
                    f"write it in quotes if it is text",
                )
            )
            return None
        return int(value, 10)
    if tag == "tag:yaml.org,2002:float":
        return float(
            value.replace(".inf", "inf")
            .replace(".Inf", "inf")
            .replace(".INF", "inf")
            .replace(".nan", "nan")
            .replace(".NaN", "nan")
            .replace(".NAN", "nan")
        )
    if tag == "tag:yaml.org,2002:timestamp":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            problems.append(source.problem(loc, f"'{value}' is not a date"))
            return value
    problems.append(source.problem(loc, f"unsupported YAML tag '{tag}'"))
    return value


# --- Turning pydantic's errors into a maintainer's messages ------------------------------------


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional to reach the type whose fields or items a location names."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            annotation = members[0]
        else:
            return annotation


def _type_at(root: Any, loc: Loc) -> Any:
    current = root
    for part in loc:
        current = _unwrap(current)
        if dataclasses.is_dataclass(current) and isinstance(part, str):
            hints = typing.get_type_hints(current, include_extras=True)
            if part not in hints:
                return None
            current = hints[part]
        elif typing.get_origin(current) in (tuple, list) and isinstance(part, int):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    return _unwrap(current)


def _describe(source: Source, loc: Loc, value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = source.texts.get(loc, repr(value))
    if isinstance(value, bool):
        return f"true/false value {text}"
    if isinstance(value, (int, float)):
        return f"number {text}"
    if isinstance(value, dt.date):
        return f"date {text}"
    return f"'{text}'"


def _suggest(word: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(choices)


def _message(error: Mapping[str, Any], root: Any, source: Source) -> Problem:
    loc: Loc = tuple(part for part in error["loc"] if part != "[key]")
    kind = error["type"]
    value = error.get("input")
    found = _describe(source, loc, value)
    ctx = error.get("ctx") or {}
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        owner = _type_at(root, loc[:-1])
        fields = [field.name for field in dataclasses.fields(owner)] if dataclasses.is_dataclass(owner) else []
        return source.problem(loc, f"unknown key '{loc[-1]}'; {_suggest(str(loc[-1]), fields)}", key=True)
    if kind in ("missing", "missing_argument"):
        return source.problem(loc[:-1], "required key is missing", path=loc)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", ctx.get("expected", ""))
        hint = _suggest(str(value), choices)
        if not hint.startswith("did"):
            hint = "expected " + ctx.get("expected", "")
        return source.problem(loc, f"{found} is not allowed; {hint}")
    expected = {
        "string_type": "text (quote it in YAML)",
        "int_type": "a whole number",
        "int_parsing": "a whole number",
        "int_from_float": "a whole number",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
        "date_type": "a date as YYYY-MM-DD",
        "date_parsing": "a date as YYYY-MM-DD",
        "date_from_datetime_inexact": "a date as YYYY-MM-DD",
        "date_from_datetime_parsing": "a date as YYYY-MM-DD",
        "tuple_type": "a list",
        "list_type": "a list",
        "dict_type": "a mapping",
        "dataclass_type": "a mapping",
        "dataclass_args_type": "a mapping",
        "model_type": "a mapping",
    }.get(kind)
    if expected:
        if kind == "string_type" and isinstance(value, (int, float)) and loc in source.texts:
            return source.problem(loc, f"expected text, found {found}; write it in quotes: '{source.texts[loc]}'")
        return source.problem(loc, f"expected {expected}, found {found}")
    if kind in ("too_short", "string_too_short"):
        if kind == "string_too_short":
            return source.problem(loc, "expected text, found nothing")
        return source.problem(
            loc, f"expected at least {ctx.get('min_length')} item(s), found {ctx.get('actual_length')}"
        )
    if kind in ("greater_than", "greater_than_equal"):
        limit = ctx.get("gt", ctx.get("ge"))
        return source.problem(loc, f"expected a number {'above' if 'gt' in ctx else 'at least'} {limit}, found {found}")
    if kind == "string_pattern_mismatch":
        return source.problem(loc, f"{found} does not match the pattern {ctx.get('pattern')}")
    return source.problem(loc, str(error["msg"]).removeprefix("Value error, "))


def validate_source(source: Source, root: Any, languages: tuple[str, ...]) -> tuple[Any, list[Problem]]:
    """Validate a parsed file against a model type; an empty file is reported, not crashed on."""
    if source.data is None:
        return None, [source.problem((), "the file is empty (expected a mapping)")]
    try:
        return TypeAdapter(root).validate_python(source.data, context={"languages": languages}), []
    except ValidationError as error:
        errors = error.errors(include_url=False)
        problems = [_message(item, root, source) for item in errors if not _derived(item, errors)]
        return None, problems


def _derived(error: Mapping[str, Any], errors: list[Any]) -> bool:
    """Errors that only echo another: a list whose item failed is also "too short", and a key
    misspelt is also "missing"; the maintainer needs only the root cause."""
    loc = tuple(error["loc"])
    if error["type"] == "too_short":
        return any(len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc for other in errors)
    if error["type"] in ("missing", "missing_argument"):
        typos = [
            other["loc"][-1]
            for other in errors
            if other["type"] in ("unexpected_keyword_argument", "extra_forbidden")
            and tuple(other["loc"][:-1]) == loc[:-1]
        ]
        return bool(difflib.get_close_matches(str(loc[-1]), [str(typo) for typo in typos], n=1, cutoff=0.6))
    return False


# --- The validated model -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Extranet:
    """Everything the decisions and pages are computed from, already consistent across files."""

    languages: tuple[str, ...]
    vendor: Vendor
    plans: Mapping[str, Plan]
    customers: tuple[Customer, ...]
    releases: tuple[Release, ...]
    """Ascending by version."""
    guides: Mapping[str, str]
    """Release version -> upgrade guide path under each language's content folder."""
    sources: Mapping[str, Source] = dataclasses.field(repr=False, compare=False)
    """Release version (and 'customers') -> where its values stand, for later messages."""

    def url_prefix(self, language: str) -> str:
        """Where a language is served: the first at the site root, each other under `<language>/`."""
        return "" if language == self.languages[0] else f"{language}/"


ArtifactExists = Callable[[Release, Any], bool]


def load(
    root: Path,
    *,
    languages: tuple[str, ...],
    releases_dir: str = "releases",
    customers_file: str = "customers.yaml",
    content_dir: str = "content",
    artifact_exists: ArtifactExists | None = None,
    drafts: bool = False,
    templates_dir: str | None = None,
) -> Extranet:
    """Load and validate everything below `root`; raise `InvalidInput` with every problem found.

    `drafts`: `TODO` placeholders are no problem (the live preview of a release being written);
    a placeholder where an id is expected still is. `templates_dir` is checked for links that
    lead outside the project, as the content and releases are, before anything is read."""
    places = [root / content_dir, root / releases_dir, root / customers_file]
    escaping = escaping_links(root, places + ([root / templates_dir] if templates_dir else []))
    if escaping:
        raise InvalidInput(escaping)
    problems: list[Problem] = []
    placeholders: list[Problem] = []

    def check(source: Source, model: Any, placeholder: str) -> tuple[Any, list[Problem]]:
        """The file against its model; outside drafts, around its placeholders, which are reported."""
        if drafts:
            return validate_source(source, model, languages)
        placeholders.extend(_placeholders(source, placeholder))
        return _validate_around_placeholders(source, model, languages)

    releases: list[tuple[Source, Release]] = []
    release_files = sorted((root / releases_dir).glob("*.yaml"))
    for path in release_files:
        source, found = _read(path, root)
        problems += found
        if not found:
            release, found = check(source, Release, "still a placeholder from `extranet release new`")
            problems += found
            if release is not None:  # with its placeholders: the checks below still look at the rest of it
                releases.append((source, release))
    customers_source, found = _read(root / customers_file, root)
    problems += found
    customers = None
    if not found:
        customers, found = check(customers_source, CustomersFile, "still a placeholder")
        problems += found
    releases.sort(key=lambda pair: version_key(pair[1].version))
    problems += _check_releases(releases)
    # A manifest with problems of its own still has a guide: the guide is not reported as well.
    guides, found = _check_content(
        root / content_dir,
        root,
        languages,
        {r.version for _, r in releases} | {path.stem for path in release_files},
        customers,
        drafts=drafts,
    )
    problems += found
    if customers is not None:
        problems += _check_customers(
            customers_source, customers, languages, {version_key(r.version) for _, r in releases}
        )
        problems += _check_artifacts(releases, customers)
        problems += _check_planned(customers_source, customers, [release for _, release in releases])
        problems += _check_offers(customers_source, customers, root / content_dir, languages)
    if artifact_exists is not None:
        problems += [
            source.problem(
                ("artifacts", index, "file"), f"'{release.version}/{artifact.file}' is not in the configured storage"
            )
            for source, release in releases
            for index, artifact in enumerate(release.artifacts)
            if not artifact_exists(release, artifact)
        ]
    if not release_files:
        problems.append(Problem(f"{releases_dir}/", 1, 1, "", "no release manifests (expected <version>.yaml files)"))
    # A placeholder is one more problem among all; what other checks say of the `TODO` itself (not
    # an e-mail address, an unknown module) is not said again.
    marked = {(placeholder.file, placeholder.path) for placeholder in placeholders}
    problems = placeholders + [problem for problem in problems if (problem.file, problem.path) not in marked]
    if problems:
        raise InvalidInput(problems)
    assert customers is not None
    return Extranet(
        languages=languages,
        vendor=customers.vendor,
        plans={plan.id: plan for plan in customers.plans},
        customers=customers.customers,
        releases=tuple(release for _, release in releases),
        guides=guides,
        sources={"customers": customers_source, **{release.version: source for source, release in releases}},
    )


def _read(path: Path, root: Path) -> tuple[Source, list[Problem]]:
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Source(name), [Problem(name, 1, 1, "", "file not found")]
    except UnicodeDecodeError as error:
        return Source(name), [Problem(name, 1, 1, "", f"not UTF-8 text (byte {error.start})")]
    except OSError as error:
        return Source(name), [Problem(name, 1, 1, "", f"cannot read: {error.strerror}")]
    return parse_yaml(text, name)


PLACEHOLDER = "TODO"
"""What `extranet release new` writes where only a maintainer knows the answer; never valid."""


def _placeholder_locs(source: Source) -> list[Loc]:
    return [loc for loc, text in source.texts.items() if text.lstrip().startswith(PLACEHOLDER)]


def _placeholders(source: Source, what: str) -> list[Problem]:
    """Every value still reading `TODO…`, so an unfinished scaffold (or note) can never be merged."""
    return [source.problem(loc, f"{what}: {source.texts[loc]}") for loc in _placeholder_locs(source)]


STAND_IN = "todo"
"""What a placeholder the model refuses (an id, a module) is checked as, so the rest of its file is."""


def _validate_around_placeholders(source: Source, root: Any, languages: tuple[str, ...]) -> tuple[Any, list[Problem]]:
    """`validate_source`; when the model refuses only placeholders (`module: TODO: one of core, extra`
    of a scaffold), the file is validated again with `STAND_IN` in their place. The model it gives
    lets every later check look at the rest of the file; the placeholders are reported themselves,
    and what the checks say of the stand-ins is not (`load` drops it), so it never reaches a build."""
    result, found = validate_source(source, root, languages)
    locs = _placeholder_locs(source)
    if result is not None or not locs:
        return result, found
    marked = {format_loc(loc) for loc in locs}
    if any(problem.path not in marked for problem in found):
        return None, found
    data = copy.deepcopy(source.data)
    for loc in locs:
        parent = data
        for part in loc[:-1]:
            parent = parent[part]
        parent[loc[-1]] = STAND_IN
    stand_in, _ = validate_source(dataclasses.replace(source, data=data), root, languages)
    return stand_in, found


def _line(release: Release) -> tuple[int, int]:
    return version_key(release.version)[:2]


def _check_releases(releases: list[tuple[Source, Release]]) -> list[Problem]:
    """Versions unique and matching their file names; dates increasing with versions.

    Dates increase from one line (major.minor) to the next, and within a line from patch to patch;
    a patch of an older line may come out after a newer line opened (9.2.2 after 9.3.0)."""
    problems = []
    seen: dict[tuple[int, ...], Source] = {}
    previous_opener: Release | None = None
    previous_in_line: dict[tuple[int, int], Release] = {}
    for source, release in releases:
        previous = previous_in_line.get(_line(release))
        if previous is None:
            previous = previous_opener
            previous_opener = release
        key = version_key(release.version)
        stem = Path(source.file).stem
        if stem != release.version:
            problems.append(
                source.problem(
                    ("version",),
                    f"'{release.version}' does not match the file name (expected '{stem}' or rename the file)",
                )
            )
        if key in seen:
            problems.append(source.problem(("version",), f"version '{release.version}' is also in {seen[key].file}"))
        seen.setdefault(key, source)
        if previous is not None and release.date < previous.date:
            problems.append(
                source.problem(
                    ("date",),
                    f"{release.date} is before {previous.date} of the lower version "
                    f"{previous.version} (dates must increase with versions)",
                )
            )
        previous_in_line[_line(release)] = release
        ids: set[str] = set()
        files: set[str] = set()
        for index, artifact in enumerate(release.artifacts):
            if artifact.id in ids:
                problems.append(source.problem(("artifacts", index, "id"), f"duplicate artifact id '{artifact.id}'"))
            if artifact.file in files:
                problems.append(source.problem(("artifacts", index, "file"), f"duplicate file '{artifact.file}'"))
            ids.add(artifact.id)
            files.add(artifact.file)
    return problems


def _check_artifacts(releases: list[tuple[Source, Release]], customers: CustomersFile) -> list[Problem]:
    modules = [module.id for module in customers.vendor.modules]
    platforms = [platform.id for platform in customers.vendor.platforms]
    problems = []
    for source, release in releases:
        for index, artifact in enumerate(release.artifacts):
            if artifact.module not in modules:
                problems.append(
                    source.problem(("artifacts", index, "module"), _unknown("module", artifact.module, modules))
                )
            if artifact.platform not in platforms:
                problems.append(
                    source.problem(("artifacts", index, "platform"), _unknown("platform", artifact.platform, platforms))
                )
    return problems


def _check_planned(source: Source, data: CustomersFile, releases: list[Release]) -> list[Problem]:
    """Planned releases come after every shipped one, in version and date order; calendars are usable."""
    problems = []
    shipped = {version_key(release.version): release for release in releases}
    latest = max(releases, key=lambda release: version_key(release.version), default=None)
    previous = None
    for i, planned in enumerate(data.vendor.planned_releases):
        loc: Loc = ("vendor", "planned_releases", i)
        key = version_key(planned.version)
        if key in shipped:
            problems.append(
                source.problem(
                    (*loc, "version"),
                    f"'{planned.version}' has been released "
                    f"(releases/{shipped[key].version}.yaml); remove it "
                    f"from planned_releases",
                )
            )
        elif latest is not None and key < version_key(latest.version):
            problems.append(
                source.problem(
                    (*loc, "version"), f"'{planned.version}' is lower than the latest release {latest.version}"
                )
            )
        if latest is not None and planned.date < latest.date:
            problems.append(
                source.problem(
                    (*loc, "date"), f"{planned.date} is before {latest.date} of the latest release {latest.version}"
                )
            )
        if previous is not None and (key <= version_key(previous.version) or planned.date < previous.date):
            problems.append(
                source.problem(
                    loc,
                    f"'{planned.version}' ({planned.date}) must come after "
                    f"'{previous.version}' ({previous.date}): list planned releases "
                    f"in version and date order",
                )
            )
        previous = planned
    for i, plan in enumerate(data.plans):
        loc = ("plans", i, "calendar")
        if plan.calendar.closes <= plan.calendar.opens:
            problems.append(
                source.problem(
                    (*loc, "closes"), f"{plan.calendar.closes:%H:%M} is not after opens {plan.calendar.opens:%H:%M}"
                )
            )
        problems += _duplicates(
            source,
            [
                ((*loc, "closed_days", j, "date"), day.date.isoformat())
                for j, day in enumerate(plan.calendar.closed_days)
            ],
            "closed day",
        )
    return problems


def _check_offers(source: Source, data: CustomersFile, content: Path, languages: tuple[str, ...]) -> list[Problem]:
    """The guides the home page presents as learning materials exist in every language."""
    learning = data.vendor.offers.learning
    if learning is None:
        return []
    return [
        source.problem(
            ("vendor", "offers", "learning", "guides", i, "page"),
            f"'{guide.page}' is not a page of content/{language}/",
        )
        for i, guide in enumerate(learning.guides)
        for language in languages
        if not (content / language / guide.page).is_file()
    ]


def _unknown(what: str, value: str, known: list[str]) -> str:
    return f"unknown {what} '{value}'; {_suggest(value, known)}"


def _check_customers(
    source: Source, data: CustomersFile, languages: tuple[str, ...], versions: set[tuple[int, ...]]
) -> list[Problem]:
    problems = []
    vendor = data.vendor
    modules = [module.id for module in vendor.modules]
    platforms = [platform.id for platform in vendor.platforms]
    editions = {edition.id: edition for edition in vendor.editions}
    plans = {plan.id: plan for plan in data.plans}
    problems += _duplicates(
        source, [(("vendor", "modules", i, "id"), m.id) for i, m in enumerate(vendor.modules)], "module id"
    )
    problems += _duplicates(
        source, [(("vendor", "platforms", i, "id"), p.id) for i, p in enumerate(vendor.platforms)], "platform id"
    )
    problems += _duplicates(
        source, [(("vendor", "editions", i, "id"), e.id) for i, e in enumerate(vendor.editions)], "edition id"
    )
    problems += _duplicates(source, [(("plans", i, "id"), p.id) for i, p in enumerate(data.plans)], "plan id")
    problems += _duplicates(
        source, [(("customers", i, "id"), c.id) for i, c in enumerate(data.customers)], "customer id"
    )
    logins: list[tuple[Loc, str]] = [
        (("vendor", "staff", i, "login"), user.login) for i, user in enumerate(vendor.staff)
    ]
    logins += [
        (("customers", i, "users", j, "login"), user.login)
        for i, customer in enumerate(data.customers)
        for j, user in enumerate(customer.users)
    ]
    problems += _duplicates(source, logins, "login")
    for i, edition in enumerate(vendor.editions):
        problems += [
            source.problem(("vendor", "editions", i, "modules", j), _unknown("module", module, modules))
            for j, module in enumerate(edition.modules)
            if module not in modules
        ]
    for i, plan in enumerate(data.plans):
        channels = [channel.id for channel in plan.channels]
        problems += _duplicates(
            source, [(("plans", i, "channels", j, "id"), c) for j, c in enumerate(channels)], "channel id"
        )
        problems += _duplicates(
            source, [(("plans", i, "severities", j, "id"), s.id) for j, s in enumerate(plan.severities)], "severity id"
        )
        for j, severity in enumerate(plan.severities):
            problems += [
                source.problem(
                    ("plans", i, "severities", j, "channels", channel), _unknown("channel", channel, channels), key=True
                )
                for channel in severity.channels
                if channel not in channels
            ]
        problems += [
            source.problem(
                ("plans", i, "languages", j), f"'{language}' is not a site language ({', '.join(languages)})"
            )
            for j, language in enumerate(plan.languages)
            if language not in languages
        ]
    for i, customer in enumerate(data.customers):
        loc: Loc = ("customers", i)
        if customer.plan not in plans:
            problems.append(source.problem((*loc, "plan"), _unknown("plan", customer.plan, list(plans))))
        if customer.edition not in editions:
            problems.append(source.problem((*loc, "edition"), _unknown("edition", customer.edition, list(editions))))
        problems += [
            source.problem((*loc, "modules", j), _unknown("module", module, modules))
            for j, module in enumerate(customer.modules)
            if module not in modules
        ]
        problems += [
            source.problem((*loc, "platforms", j), _unknown("platform", platform, platforms))
            for j, platform in enumerate(customer.platforms)
            if platform not in platforms
        ]
        if version_key(customer.installed_version) not in versions:
            problems.append(
                source.problem(
                    (*loc, "installed_version"), f"version '{customer.installed_version}' has no release manifest"
                )
            )
        if customer.support_until < customer.support_from:
            problems.append(
                source.problem(
                    (*loc, "support_until"), f"{customer.support_until} is before support_from {customer.support_from}"
                )
            )
        if customer.language not in languages:
            problems.append(
                source.problem(
                    (*loc, "language"), f"'{customer.language}' is not a site language ({', '.join(languages)})"
                )
            )
    return problems


def _duplicates(source: Source, items: list[tuple[Loc, str]], what: str) -> list[Problem]:
    first: dict[str, Loc] = {}
    problems = []
    for loc, value in items:
        if value in first:
            line = source.position(first[value])[0]
            problems.append(source.problem(loc, f"duplicate {what} '{value}' (first at line {line})"))
        first.setdefault(value, loc)
    return problems


def _page_placeholders(text: str, name: str) -> list[Problem]:
    """Lines of a page that still begin with `TODO:` (guide stubs of `extranet release new`)."""
    return [
        Problem(name, number, match.start(1) + 1, "", f"still a placeholder: {line[match.start(1) :].strip()}")
        for number, line in enumerate(text.splitlines(), 1)
        if (match := _PAGE_PLACEHOLDER.match(line))
    ]


_PAGE_PLACEHOLDER = re.compile(r"^\s*(?:[-*+]\s+|\d+\.\s+)?(TODO:)")
"""`TODO:` at the start of a line, or of a list item."""


def _read_page(path: Path, name: str) -> tuple[str | None, list[Problem]]:
    """A Markdown page's text as MkDocs reads it (UTF-8, optional BOM, universal newlines)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [Problem(name, 1, 1, "", f"cannot read: {error.strerror}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return None, [
            Problem(name, line, column, "", f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the page as UTF-8")
        ]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def _front_matter(text: str, name: str) -> tuple[Any, tuple[int, int], list[Problem]]:
    """The `audience` of a page's front matter and where it stands, read where MkDocs reads it.

    MkDocs ignores front matter it cannot parse and reads the page as if it had none, so a typo
    would silently give the page the default audience: here it is a problem. The YAML block goes
    through `parse_yaml` (bounded, positions kept); a block of `key: value` lines without `---`
    (MultiMarkdown style, which MkDocs also accepts) through MkDocs' own reader."""
    match = mkdocs_meta.YAML_RE.match(text)
    if match is None:
        _, data = mkdocs_meta.get_data(text)
        line = next(
            (
                number
                for number, row in enumerate(text.split("\n"), 1)
                if re.match(r"^[ ]{0,3}audience:", row, re.IGNORECASE)
            ),
            1,
        )
        return data.get("audience"), (line, 1), []
    # The block starts on the file's second line: a newline in front keeps the line numbers.
    source, problems = parse_yaml("\n" + match.group(1), name)
    if problems:
        return None, (1, 1), problems
    if source.data is None:
        return None, (1, 1), []
    if not isinstance(source.data, dict):
        return (
            None,
            (1, 1),
            [
                source.problem(
                    (),
                    f"front matter must be a mapping (`key: value` lines), found {_describe(source, (), source.data)}",
                )
            ],
        )
    declared, position = source.data.get("audience"), source.position(("audience",))
    # MkDocs reads it again with PyYAML (YAML 1.1), now known to be bounded; where that reading
    # fails MkDocs drops the whole front matter, and with it an audience that narrowed the page.
    _, theirs = mkdocs_meta.get_data(text)
    if theirs.get("audience") != declared:
        return (
            None,
            (1, 1),
            [
                Problem(
                    name,
                    *position,
                    "audience",
                    "MkDocs reads this front matter differently "
                    "(it would see audience "
                    f"{theirs.get('audience')!r}); write it as plain "
                    "`key: value` lines",
                )
            ],
        )
    return declared, position, []


def _check_page(path: Path, root: Path, rest: str, customers: CustomersFile | None, drafts: bool) -> list[Problem]:
    """One content page: readable, front matter sound, in a place pages may be, its audience decidable."""
    name = path.relative_to(root).as_posix()
    text, problems = _read_page(path, name)
    if text is None:
        return problems
    declared, (line, column), problems = _front_matter(text, name)
    if problems:
        return problems
    if not drafts:
        problems += _page_placeholders(text, name)
    refused = access.refused_place(rest, [plan.id for plan in customers.plans] if customers else ())
    if refused:
        problems.append(Problem(name, 1, 1, "", f"no content page may lie here: {refused}"))
    try:
        access.page_audience(rest, declared, {customer.id for customer in customers.customers} if customers else None)
    except access.AudienceError as error:
        problems.append(Problem(name, line, column, "audience" if declared is not None else "", str(error)))
    return problems


def escaping_links(root: Path, places: Iterable[Path]) -> list[Problem]:
    """Symbolic links under `places` that lead outside the project, each named by its path.

    A build copies whatever the content folder holds into the web root, and a link to
    `/proc/self/environ` or `~/.ssh` would publish it. Links within the project stay allowed
    (a guide shared by two folders); the walk follows them, once each, since a link inside
    can lead to another link out. Rejected: refusing every link (project layouts use them) and
    resolving only the files MkDocs picks (its rules for what it copies are not ours to repeat)."""
    real_root = root.resolve()
    problems: list[Problem] = []
    seen: set[Path] = set()

    def name(path: Path) -> str:
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)

    def check(path: Path) -> bool:
        """True when `path` may be followed."""
        if not path.is_symlink():
            return True
        try:
            target = path.resolve(strict=False)
        except (RuntimeError, OSError):
            problems.append(Problem(name(path), 1, 1, "", "a symbolic link that loops; remove it"))
            return False
        if not target.is_relative_to(real_root):
            problems.append(
                Problem(
                    name(path),
                    1,
                    1,
                    "",
                    f"a symbolic link to {os.readlink(path)}, outside the "
                    f"project; copy what it should show into the project",
                )
            )
            return False
        return True

    def visit(directory: Path) -> None:
        real = directory.resolve()
        if real in seen:
            return
        seen.add(real)
        for entry in sorted(directory.iterdir()):
            if check(entry) and entry.is_dir():
                visit(entry)

    for place in places:
        if (place.exists() or place.is_symlink()) and check(place) and place.is_dir():
            visit(place)
    return problems


GUIDES = "upgrade"
"""Per-release upgrade guides live at `content/<language>/upgrade/<version>.md`."""


def _check_content(
    content: Path,
    root: Path,
    languages: tuple[str, ...],
    versions: set[str],
    customers: CustomersFile | None,
    *,
    drafts: bool = False,
) -> tuple[dict[str, str], list[Problem]]:
    """Every Markdown page exists in every language, so the language switch always keeps the page;
    each page is sound and its audience decidable (`access.page_audience`)."""
    problems: list[Problem] = []
    pages: dict[str, set[str]] = {}
    real_root = root.resolve()
    if content.is_dir():
        for path in sorted(content.rglob("*.md")):
            if not path.resolve().is_relative_to(real_root):
                continue  # reported by `escaping_links`; never read
            relative = path.relative_to(content)
            language, rest = relative.parts[0], Path(*relative.parts[1:]).as_posix()
            if language not in languages or not rest or rest == ".":
                problems.append(
                    Problem(
                        path.relative_to(root).as_posix(),
                        1,
                        1,
                        "",
                        f"a page must be under a language folder ({', '.join(languages)})",
                    )
                )
                continue
            pages.setdefault(rest, set()).add(language)
            problems += _check_page(path, root, rest, customers, drafts)
    guides = {}
    for page, present in sorted(pages.items()):
        for language in languages:
            if language not in present:
                have = min(present)
                problems.append(
                    Problem(
                        f"{content.relative_to(root).as_posix()}/{have}/{page}",
                        1,
                        1,
                        "",
                        f"no {language} version (expected {content.relative_to(root).as_posix()}/{language}/{page})",
                    )
                )
        if page.startswith(GUIDES + "/"):
            version = Path(page).stem
            if version not in versions:
                problems.append(
                    Problem(
                        f"{content.relative_to(root).as_posix()}/{min(present)}/{page}",
                        1,
                        1,
                        "",
                        f"upgrade guide for '{version}', which has no release manifest",
                    )
                )
            else:
                guides[version] = page
    return guides, problems
