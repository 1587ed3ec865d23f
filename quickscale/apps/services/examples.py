"""Example services that run offline, with no model to download."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from quickscale.apps.services.base import BaseService
from quickscale.apps.services.registry import register

# Every pattern here matches in time linear in the text: no quantified group that can fail
# after consuming a run of characters and be retried from each position inside that run.
WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ']+")
# The last mark of a run of . ! ? that ends a sentence: "Wait... what?!" counts two.
SENTENCE_END = re.compile(r"[.!?](?=\s|\Z)")
MAX_TEXT = 100_000  # characters: a long document
MAX_SHORT_TEXT = 5_000  # characters: a review, a message, a comment


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


def text_input(max_length: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": max_length}},
        "required": ["text"],
    }


STOPWORDS = _wordset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your
    yours yourself
    """
)
POSITIVE = _wordset(
    """
    amazing awesome beautiful best better brilliant clean clear delightful easy excellent
    fantastic fast favorite fine fun good great happy helpful impressive love loved lovely
    nice perfect pleasant quick recommend reliable smooth solid superb thanks useful
    wonderful
    """
)
NEGATIVE = _wordset(
    """
    angry annoying awful bad broken bug buggy confusing crash difficult disappointed
    disappointing error fail failed failure hate horrible poor problem slow terrible ugly
    unhappy unusable useless worse worst wrong
    """
)


def words(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


@register
class TextStatistics(BaseService):
    name = "text_statistics"
    description = "Counts characters, words and sentences, and the average word length."
    cost = 1
    input_schema = text_input(MAX_TEXT)

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        text = data["text"]
        found = words(text)
        return {
            "characters": len(text),
            "words": len(found),
            "sentences": max(1, len(SENTENCE_END.findall(text))) if found else 0,
            "average_word_length": round(sum(map(len, found)) / len(found), 2) if found else 0,
        }


@register
class Keywords(BaseService):
    name = "keywords"
    description = (
        "The most frequent words that are not stop words. "
        "Costs 1 credit per 1,000 characters (at least 2)."
    )
    cost = 2
    input_schema = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
            "limit": {"type": "integer", "minimum": 1, "maximum": 50},
        },
        "required": ["text"],
    }

    def cost_for(self, data: dict[str, Any]) -> int:
        return max(self.cost, -(-len(data["text"]) // 1000))

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        counts = Counter(w for w in words(data["text"]) if w not in STOPWORDS and len(w) > 2)
        return {
            "keywords": [
                {"word": w, "count": c} for w, c in counts.most_common(data.get("limit", 10))
            ]
        }


@register
class Sentiment(BaseService):
    name = "sentiment"
    description = (
        "Positive, negative or neutral, from a word list shipped with QuickScale. "
        "For short texts: reviews, messages, comments."
    )
    cost = 1
    input_schema = text_input(MAX_SHORT_TEXT)

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        found = words(data["text"])
        positive = sum(w in POSITIVE for w in found)
        negative = sum(w in NEGATIVE for w in found)
        score = (positive - negative) / max(1, positive + negative)
        label = "positive" if score > 0.2 else "negative" if score < -0.2 else "neutral"
        return {
            "label": label,
            "score": round(score, 3),
            "positive": positive,
            "negative": negative,
        }
