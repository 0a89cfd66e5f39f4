"""QTI 2.1 items in an IMS content package (a zip with imsmanifest.xml).

Each question is one `assessmentItem` file (items/item-N.xml) with:

- a `responseDeclaration` whose `mapping` gives every choice its points
  (`correctResponse` names the first best choice) and an `outcomeDeclaration`
  SCORE, scored by the standard map_response template;
- an `itemBody` holding the stem in a `div` (the stem's `<u>` is written as
  `<span class="underline">`, as QTI has no `u`) and one `choiceInteraction`
  with `shuffle="true"`; a keep_last option is a `simpleChoice` with
  `fixed="true"`.

The manifest lists the items in order. Each resource's LOM metadata carries
what QTI items have no place for: the id (general/identifier/entry), the
category (general/keyword) and the difficulty (educational/difficulty: easy,
medium or difficult for hard). Images are not carried.

Import reads items of type imsqti_item_xmlv2p* in manifest order, with
choices scored by `mapping` or else 1 point for the `correctResponse`.
Items need exactly one single-answer choiceInteraction; a prompt inside it
joins the stem. XML with a DTD is refused (defusedxml), as are hrefs that leave
the package.
"""

from __future__ import annotations

import html
import zipfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from html.parser import HTMLParser
from io import BytesIO
from xml.etree.ElementTree import Element, ParseError, SubElement, TreeBuilder, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..markup import sanitize_stem
from ..model import (
    OPTION_LETTERS,
    Difficulty,
    DifficultyError,
    Option,
    Question,
    make_question,
    parse_difficulty,
    to_points,
)
from ..problems import Problem, problem
from .base import Defaults, FileRefused, Parsed, checked
from .safezip import member_name, open_zip, read_member

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
ITEM_TYPE = "imsqti_item_xmlv2p1"
MANIFEST = "imsmanifest.xml"
MAP_RESPONSE = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"
_UNDERLINE = "underline"
_SPAN_ATTRIBUTES = ("colspan", "rowspan")
_TO_LOM = {Difficulty.EASY: "easy", Difficulty.MEDIUM: "medium", Difficulty.HARD: "difficult"}
_FROM_LOM = {"very easy": "easy", "difficult": "hard", "very difficult": "hard"}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same questions give the same bytes


class _BadXml(Exception):
    """An XML file we do not parse: `code` is xml_dtd or xml_malformed."""

    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line

    def problem(self, name: str) -> Problem:
        """The problem of file `name` (codes qti_xml_dtd, qti_xml_malformed)."""
        data: dict[str, str | int] = {"name": name}
        if self.line is not None:
            data["line"] = self.line
        return Problem(f"qti_{self.code}", f"{name}: {self.message}", data)


def _local(tag: str) -> str:
    """An element's name without its namespace (QTI 2.1 and 2.2 differ only there)."""
    return tag.rpartition("}")[2]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _path(element: Element | None, *names: str) -> Element | None:
    for name in names:
        if element is None:
            return None
        element = next(iter(_children(element, name)), None)
    return element


def _parse_xml(data: bytes) -> Element:
    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise _BadXml("xml_dtd", "XML with a DTD or entities is not accepted") from None
    except ParseError as error:
        raise _BadXml(
            "xml_malformed", f"not well-formed XML ({error})", error.position[0]
        ) from None


# ---------------------------------------------------------------- reading


def read(data: bytes, defaults: Defaults) -> Iterator[Parsed]:
    with open_zip(data) as archive:
        try:
            manifest = _parse_xml(read_member(archive, MANIFEST))
        except KeyError:
            raise FileRefused(
                problem("qti_manifest_missing", f"{MANIFEST} is missing", name=MANIFEST)
            ) from None
        except _BadXml as error:
            raise FileRefused(error.problem(MANIFEST), error.line) from None
        items = [
            element
            for element in manifest.iter()
            if _local(element.tag) == "resource"
            and element.get("type", "").startswith("imsqti_item_xmlv2p")
        ]
        first_item_of: dict[str, int] = {}
        for number, resource in enumerate(items, start=1):
            yield _read_resource(archive, resource, defaults, number, first_item_of)


def _read_resource(
    archive: zipfile.ZipFile,
    resource: Element,
    defaults: Defaults,
    number: int,
    first_item_of: dict[str, int],
) -> Parsed:
    files = _children(resource, "file")
    href = resource.get("href") or (files[0].get("href", "") if files else "")
    name = member_name(href)
    if name is None:
        return Parsed(
            None,
            None,
            (problem("qti_unsafe_href", f"unsafe or missing href {href!r}", href=href),),
        )
    # A file listed again is not read again: a manifest could name one big file 5,000 times.
    first = first_item_of.setdefault(name, number)
    if first != number:
        return Parsed(
            None,
            None,
            (
                problem(
                    "qti_file_repeated", f"{name} is already item {first}", name=name, item=first
                ),
            ),
        )
    try:
        root = _parse_xml(read_member(archive, name))
    except KeyError:
        return Parsed(
            None,
            None,
            (problem("qti_file_missing", f"{name} is not in the package", name=name),),
        )
    except _BadXml as error:
        return Parsed(error.line, None, (error.problem(name),))
    return _read_item(root, _path(resource, "metadata", "lom"), defaults)


def _read_item(root: Element, lom: Element | None, defaults: Defaults) -> Parsed:
    problems: list[Problem] = []
    body = _path(root, "itemBody")
    interactions = [el for el in root.iter() if _local(el.tag) == "choiceInteraction"]
    if _local(root.tag) != "assessmentItem" or body is None or len(interactions) != 1:
        return Parsed(
            None,
            None,
            (
                problem(
                    "qti_not_one_choice_interaction",
                    "only items with one choiceInteraction are supported",
                ),
            ),
        )
    interaction = interactions[0]
    if interaction.get("maxChoices", "1") != "1":
        problems.append(problem("qti_multiple_answers", "only single-answer items are supported"))
    choices = _children(interaction, "simpleChoice")
    ids = [choice.get("identifier", "") for choice in choices]
    points = _choice_points(root, interaction.get("responseIdentifier", ""), ids, problems)
    difficulty = _lom_difficulty(lom, defaults.difficulty, problems)
    category = _lom_text(lom, "general", "keyword", "string") or defaults.category
    return checked(
        None,
        problems,
        lambda: make_question(
            category=category,
            difficulty=difficulty,
            stem=sanitize_stem(_inner_html(body, interaction)),
            options=[
                Option("".join(choice.itertext()), value, keep_last=choice.get("fixed") == "true")
                for choice, value in zip(choices, points, strict=True)
            ],
            id=_lom_text(lom, "general", "identifier", "entry"),
        ),
    )


def _choice_points(
    root: Element, response: str, ids: list[str], problems: list[Problem]
) -> list[Decimal]:
    """Points per choice: the response's mapping, or 1 for the correct response."""
    declaration = next(
        (el for el in _children(root, "responseDeclaration") if el.get("identifier") == response),
        None,
    )
    if declaration is None:
        problems.append(
            problem(
                "qti_no_response_declaration",
                f"no responseDeclaration for {response!r}",
                response=response,
            )
        )
        return [Decimal(0)] * len(ids)
    mapping = _path(declaration, "mapping")
    if mapping is not None:
        entries = {
            e.get("mapKey"): e.get("mappedValue", "") for e in _children(mapping, "mapEntry")
        }
        values = [entries.get(i, mapping.get("defaultValue", "0")) for i in ids]
    else:
        correct_response = _path(declaration, "correctResponse")
        values_given = [] if correct_response is None else _children(correct_response, "value")
        correct = {(value.text or "").strip() for value in values_given}
        values = ["1" if i in correct else "0" for i in ids]
    points = []
    for choice_id, value in zip(ids, values, strict=True):
        try:
            points.append(to_points(value or 0))
        except ValueError:
            problems.append(
                problem(
                    "qti_points_not_number",
                    f"the points of choice {choice_id!r} are not a number",
                    choice=choice_id,
                )
            )
            points.append(Decimal(0))
    return points


def _lom_text(lom: Element | None, *names: str) -> str | None:
    element = _path(lom, *names)
    if element is None:
        return None
    return (element.text or "").strip() or None


def _lom_difficulty(
    lom: Element | None, default: Difficulty, problems: list[Problem]
) -> Difficulty:
    value = _lom_text(lom, "educational", "difficulty", "value")
    if value is None:
        return default
    try:
        return parse_difficulty(_FROM_LOM.get(value.lower(), value))
    except DifficultyError as error:
        problems.append(error.problem)
        return default


def _inner_html(element: Element, interaction: Element) -> str:
    """`element`'s content as HTML, with `interaction` replaced by its prompt."""
    parts = [html.escape(element.text or "", quote=False)]
    for child in element:
        if child is interaction:
            prompt = _path(child, "prompt")
            parts.append("" if prompt is None else _inner_html(prompt, interaction))
        else:
            parts.append(_element_html(child, interaction))
        parts.append(html.escape(child.tail or "", quote=False))
    return "".join(parts)


def _element_html(element: Element, interaction: Element) -> str:
    tag = _local(element.tag)
    if tag == "span" and _UNDERLINE in element.get("class", "").split():
        tag = "u"
    attributes = "".join(
        f' {name}="{html.escape(element.get(name, ""))}"'
        for name in _SPAN_ATTRIBUTES
        if element.get(name) is not None
    )
    if tag == "br":
        return "<br>"
    return f"<{tag}{attributes}>{_inner_html(element, interaction)}</{tag}>"


# ---------------------------------------------------------------- writing


def write(questions: Sequence[Question]) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = Element("manifest", xmlns=CP_NS, identifier="question-bank-export")
        metadata = SubElement(manifest, "metadata")
        SubElement(metadata, "schema").text = "QTIv2.1 Package"
        SubElement(metadata, "schemaversion").text = "1.0.0"
        SubElement(manifest, "organizations")
        resources = SubElement(manifest, "resources")
        for number, question in enumerate(questions, start=1):
            identifier = f"item-{number}"
            href = f"items/{identifier}.xml"
            _add(archive, href, _xml(_item(question, identifier)))
            resources.append(_resource(question, identifier, href))
        _add(archive, MANIFEST, _xml(manifest))
    return out.getvalue()


def _xml(root: Element) -> bytes:
    """The document as UTF-8. Elements are built without namespaces and the roots
    carry `xmlns` attributes, so every file uses default namespaces, no prefixes."""
    body = tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _resource(question: Question, identifier: str, href: str) -> Element:
    resource = Element("resource", identifier=f"res-{identifier}", type=ITEM_TYPE, href=href)
    lom = SubElement(SubElement(resource, "metadata"), "lom", xmlns=LOM_NS)
    general = SubElement(lom, "general")
    if question.id is not None:
        entry = SubElement(general, "identifier")
        SubElement(entry, "catalog").text = "question_bank"
        SubElement(entry, "entry").text = question.id
    keyword = SubElement(general, "keyword")
    SubElement(keyword, "string").text = question.category
    difficulty = SubElement(SubElement(lom, "educational"), "difficulty")
    SubElement(difficulty, "source").text = "LOMv1.0"
    SubElement(difficulty, "value").text = _TO_LOM[question.difficulty]
    SubElement(resource, "file", href=href)
    return resource


def _item(question: Question, identifier: str) -> Element:
    choice_ids = OPTION_LETTERS[: len(question.options)]
    item = Element(
        "assessmentItem",
        xmlns=QTI_NS,
        identifier=identifier,
        title=question.id or identifier,
        adaptive="false",
        timeDependent="false",
    )
    response = SubElement(
        item,
        "responseDeclaration",
        identifier="RESPONSE",
        cardinality="single",
        baseType="identifier",
    )
    best = next(
        choice_id
        for choice_id, option in zip(choice_ids, question.options, strict=True)
        if option.points == question.max_points
    )
    SubElement(SubElement(response, "correctResponse"), "value").text = best
    mapping = SubElement(response, "mapping", defaultValue="0")
    for choice_id, option in zip(choice_ids, question.options, strict=True):
        SubElement(mapping, "mapEntry", mapKey=choice_id, mappedValue=str(option.points))
    outcome = SubElement(
        item, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float"
    )
    SubElement(SubElement(outcome, "defaultValue"), "value").text = "0"
    body = SubElement(item, "itemBody")
    body.append(_stem_element(question.stem))
    interaction = SubElement(
        body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="true", maxChoices="1"
    )
    for choice_id, option in zip(choice_ids, question.options, strict=True):
        choice = SubElement(interaction, "simpleChoice", identifier=choice_id)
        if option.keep_last:
            choice.set("fixed", "true")
        choice.text = option.text
    SubElement(item, "responseProcessing", template=MAP_RESPONSE)
    return item


def _stem_element(stem: str) -> Element:
    """The sanitized stem as QTI XHTML inside a div."""
    converter = _StemToXml()
    converter.feed(sanitize_stem(stem))
    return converter.finish()


class _StemToXml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._builder = TreeBuilder()
        self._builder.start("div", {})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "u":
            self._builder.start("span", {"class": _UNDERLINE})
            return
        self._builder.start(tag, {name: value or "" for name, value in attrs})
        if tag == "br":
            self._builder.end(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag != "br":
            self._builder.end("span" if tag == "u" else tag)

    def handle_data(self, data: str) -> None:
        self._builder.data(data)

    def finish(self) -> Element:
        self.close()
        self._builder.end("div")
        return self._builder.close()
