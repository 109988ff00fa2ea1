"""Personal data out of what is stored: emails, phone, card and account numbers.

Which kinds are removed is a setting (`FRONTDESK_REDACT`), and extra patterns can be
added (`FRONTDESK_REDACT_EXTRA`, name → regular expression). A match becomes `[kind]`.
Free text is redacted whole; a URL keeps its path, and each value of its query and its
fragment is redacted as the text it encodes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, unquote, unquote_plus

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().-]{5,}\d(?![\w-])")
ACCOUNT = re.compile(r"(?<![\w-])\d{8,34}(?![\w-])")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _cards(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        return "[card]" if 13 <= len(digits) <= 19 and _luhn(digits) else match.group()

    return CARD.sub(replace, text)


def _phones(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        found = match.group()
        digits = re.sub(r"\D", "", found)
        separated = found.startswith("+") or bool(re.search(r"[ ().-]", found))
        return "[phone]" if len(digits) >= 7 and separated else found

    return PHONE.sub(replace, text)


KINDS: dict[str, Callable[[str], str]] = {
    "email": lambda text: EMAIL.sub("[email]", text),
    "card": _cards,
    "account": lambda text: ACCOUNT.sub("[account]", IBAN.sub("[account]", text)),
    "phone": _phones,
}
ORDER = ("email", "card", "account", "phone")  # cards before the shorter patterns eat them


@dataclass(frozen=True)
class Redactor:
    kinds: tuple[str, ...]
    extra: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @classmethod
    def build(cls, kinds: Iterable[str], extra: Mapping[str, str]) -> Redactor:
        chosen = set(kinds)
        return cls(
            tuple(k for k in ORDER if k in chosen),
            tuple((name, re.compile(pattern)) for name, pattern in extra.items()),
        )

    def __call__(self, text: str) -> str:
        for kind in self.kinds:
            text = KINDS[kind](text)
        for name, pattern in self.extra:
            text = pattern.sub(f"[{name}]", text)
        return text

    def url(self, value: str) -> str:
        """A URL with personal data out of its query and fragment; its path is kept."""
        rest, hash_mark, fragment = value.partition("#")
        path, question_mark, query = rest.partition("?")
        if question_mark:
            query = "&".join(self._query_item(item) for item in query.split("&"))
        if hash_mark:
            fragment = self._encoded(fragment, unquote, quote)
        return path + question_mark + query + hash_mark + fragment

    def _query_item(self, item: str) -> str:
        name, equals, value = item.partition("=")
        if not equals:
            return self._encoded(item, unquote_plus, quote_plus)
        return name + equals + self._encoded(value, unquote_plus, quote_plus)

    def _encoded(
        self, encoded: str, decode: Callable[[str], str], encode: Callable[..., str]
    ) -> str:
        """Percent-encoded text redacted: as it came unless it held personal data."""
        text = decode(encoded)
        redacted = self(text)
        return encoded if redacted == text else encode(redacted, safe="[]")
