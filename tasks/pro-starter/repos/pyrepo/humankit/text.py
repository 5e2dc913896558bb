"""Text helpers: slugs, truncation, word lists and plurals."""

from __future__ import annotations

import unicodedata


def slugify(text: str, sep: str = "-") -> str:
    """A lower-case ASCII slug: ``slugify("Café au lait") == "cafe-au-lait"``."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = text.lower().strip()
    out = []
    for ch in text:
        if ch.isalnum():
            out.append(ch)
        elif ch in " -_":
            out.append(sep)
    return "".join(out).strip(sep)


def truncate(text: str, width: int, placeholder: str = "...") -> str:
    """Cut `text` to at most `width` characters, ending with `placeholder` when cut."""
    if width < len(placeholder):
        raise ValueError("width is smaller than the placeholder")
    if len(text) <= width:
        return text
    return text[: width - len(placeholder)].rstrip() + placeholder


def join_words(words: list[str], conjunction: str = "and", oxford: bool = True) -> str:
    """``join_words(["a", "b", "c"]) == "a, b, and c"``."""
    words = [w for w in words if w]
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    if len(words) == 2:
        return f"{words[0]} {conjunction} {words[1]}"
    head = ", ".join(words[:-1])
    comma = "," if oxford else ""
    return f"{head}{comma} {conjunction} {words[-1]}"


_IRREGULAR = {
    "child": "children",
    "person": "people",
    "mouse": "mice",
    "index": "indices",
}


def pluralize(word: str, count: int, plural: str | None = None) -> str:
    """``pluralize("file", 2) == "2 files"``; irregular nouns and an explicit plural work too."""
    if count == 1:
        return f"{count} {word}"
    if plural is None:
        lower = word.lower()
        if lower in _IRREGULAR:
            plural = _IRREGULAR[lower]
        elif lower.endswith(("s", "x", "z", "ch", "sh")):
            plural = word + "es"
        elif lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
            plural = word[:-1] + "ies"
        else:
            plural = word + "s"
    return f"{count} {plural}"
