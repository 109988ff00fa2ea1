"""The ticket rules: category and priority from keywords (settings), and whether the host
signed the user's identity."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from server.handoff.schema import Priority, RuleLevel, TicketUser


def _plain(text: str) -> str:
    """Lower case without apostrophes (straight or curly), so `cant` matches "can't"."""
    return text.lower().replace("'", "").replace("\u2019", "")


@dataclass(frozen=True)
class TicketRules:
    categories: Mapping[str, Sequence[str]]
    priorities: Mapping[RuleLevel, Sequence[str]]
    site_secrets: Mapping[str, str]

    def category(self, text: str, article_tags: Sequence[str]) -> str:
        """Keywords first; else the most common tag of the articles shown; else general."""
        lowered = _plain(text)
        hits = Counter(
            {
                name: sum(lowered.count(w.lower()) for w in words)
                for name, words in self.categories.items()
            }
        )
        best = hits.most_common(1)
        if best and best[0][1] > 0:
            return best[0][0]
        tags = Counter(article_tags)
        for tag, _ in tags.most_common():
            if tag in self.categories:
                return tag
        return tags.most_common(1)[0][0] if tags else "general"

    def priority(self, text: str) -> Priority:
        lowered = _plain(text)
        levels: tuple[RuleLevel, ...] = ("critical", "high", "medium")
        for level in levels:
            if any(_plain(word) in lowered for word in self.priorities.get(level, ())):
                return level
        return "low"

    def verified(self, site: str, user: TicketUser | None) -> bool:
        """True when the host signed the user id with the site's secret (HMAC-SHA256, hex)."""
        secret = self.site_secrets.get(site)
        if not secret or user is None or not user.signature:
            return False
        expected = hmac.new(secret.encode(), user.id.encode(), hashlib.sha256).hexdigest()
        # bytes: a signature in any characters is simply not the right one
        return hmac.compare_digest(expected.encode(), user.signature.lower().encode())
