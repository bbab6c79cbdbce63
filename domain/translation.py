"""A catalogue in another language (config.en.yaml), and the configuration it makes.

A translation holds only words: keywords, menus, the nurseries' names, questions and
what to bring, the forms' names and every message. `localize` lays it over the base
configuration's raw mapping, and the result is validated as the base was, so each
language's configuration differs from the base in words alone. Every message keeps
the base's keys and `{placeholders}` (`mismatches`), except `formats`, where each
language picks its own.
"""

from __future__ import annotations

import copy
from string import Formatter
from typing import Any

from pydantic import Field

from domain.catalogue import Messages, Strict


class MenuItemWords(Strict):
    label: str = Field(min_length=1)
    image_text: str | None = None


class RichMenuWords(Strict):
    """The rich menu's words; its areas are the base menu's, in the same order."""

    name: str = Field(min_length=1, max_length=300)
    chat_bar_text: str = Field(min_length=1, max_length=14)
    back_label: str | None = Field(None, min_length=1, max_length=20)
    items: list[MenuItemWords] = Field(min_length=1)


class QuestionWords(Strict):
    label: str
    text: str
    choices: list[str]  # as many as the base's, in its order: the answer kept is the base's


class NurseryWords(Strict):
    name: str = Field(min_length=1)
    questions: dict[str, QuestionWords] = {}
    bring: list[str] = []


class Translation(Strict):
    language: str = Field(pattern=r"^[a-z]{2}$")
    switch: list[str] = Field(min_length=1)  # typed (any letter case) to switch to it
    keywords: dict[str, str]
    menu: list[str]
    rich_menu: RichMenuWords | None = None
    interview_documents: list[str]
    childcare_form: str
    nurseries: dict[str, NurseryWords]
    messages: Messages


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def mismatches(base: Any, other: Any, key: str = "messages") -> list[str]:
    """Where two message trees differ in keys or in a message's placeholders."""
    if isinstance(base, str) and isinstance(other, str):
        a, b = placeholders(base), placeholders(other)
        if a == b:
            return []
        return [f"{key}: placeholders {sorted(b)} differ from the base's {sorted(a)}"]
    if isinstance(base, dict) and isinstance(other, dict):
        found = [f"{key}.{k}: missing" for k in base if k not in other]
        found += [f"{key}.{k}: unknown key" for k in other if k not in base]
        for k in base:
            if k in other and not (key == "messages" and k == "formats"):
                found += mismatches(base[k], other[k], f"{key}.{k}")
        return found
    return []


def _same_count(key: str, base: list[Any], words: list[Any]) -> None:
    if len(base) != len(words):
        raise ValueError(f"{key}: {len(words)} items, the base has {len(base)}")


def localize(raw: dict[str, Any], words: Translation, messages: dict[str, Any]) -> dict[str, Any]:
    """The base configuration's raw mapping with `words` laid over it (ValueError names the
    translation's key that does not fit)."""
    out = copy.deepcopy(raw)
    out.update(
        language=words.language,
        switch=words.switch,
        translations=[],
        keywords={**words.keywords, **raw.get("keywords", {})},
        menu=words.menu,
        childcare_form=words.childcare_form,
        messages=messages,
    )
    _same_count(
        "interview_documents", raw.get("interview_documents", []), words.interview_documents
    )
    out["interview_documents"] = words.interview_documents
    menu = out.get("rich_menu")
    if menu and words.rich_menu:
        _same_count("rich_menu.items", menu["items"], words.rich_menu.items)
        menu.update(name=words.rich_menu.name, chat_bar_text=words.rich_menu.chat_bar_text)
        menu["alias"] = f"{menu['alias']}-{words.language}"
        if menu.get("back") and words.rich_menu.back_label:
            menu["back"]["label"] = words.rich_menu.back_label
        for item, said in zip(menu["items"], words.rich_menu.items, strict=True):
            item.update(label=said.label, image_text=said.image_text)
    elif menu:
        raise ValueError("rich_menu: missing")
    known = {n["id"] for n in out.get("nurseries", [])}
    stray = sorted(set(words.nurseries) - known)
    if stray:  # a misspelt id, or a nursery renamed in config.yaml only
        raise ValueError(f"nurseries.{stray[0]}: no nursery has this id in the base")
    for n in out.get("nurseries", []):
        _nursery(n, words)
    return out


def untranslated_nurseries(raw: dict[str, Any], words: Translation) -> list[str]:
    """The base's nurseries the translation has no words for: they keep the base's words
    (a nursery is added by a change to config.yaml alone)."""
    return [n["id"] for n in raw.get("nurseries", []) if n["id"] not in words.nurseries]


def _nursery(n: dict[str, Any], words: Translation) -> None:
    said = words.nurseries.get(n["id"])
    if said is None:  # not translated yet: the base's name, questions and list stand
        return
    n["name"] = said.name
    if n.get("bring"):
        _same_count(f"nurseries.{n['id']}.bring", n["bring"], said.bring)
        n["bring"] = said.bring
    questions = []
    for q in n.get("questions", []):
        qs = said.questions.get(q["id"])
        if qs is None:
            raise ValueError(f"nurseries.{n['id']}.questions.{q['id']}: missing")
        _same_count(f"nurseries.{n['id']}.questions.{q['id']}.choices", q["choices"], qs.choices)
        questions.append({**q, "label": qs.label, "text": qs.text, "choices": qs.choices})
    n["questions"] = questions
