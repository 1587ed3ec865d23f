from hypothesis import given, settings
from hypothesis import strategies as st

from quickscale.apps.services.examples import SENTENCE_END
from quickscale.apps.services.registry import registry


def test_the_example_services_are_registered():
    assert {s.name for s in registry} >= {"text_statistics", "keywords", "sentiment"}


def test_text_statistics():
    result = registry.get("text_statistics").run({"text": "One two three. Four five!"})
    assert result == {"characters": 25, "words": 5, "sentences": 2, "average_word_length": 3.8}


def test_keywords_skip_stop_words_and_price_by_length():
    service = registry.get("keywords")
    result = service.run({"text": "The cat and the hat. The cat sat.", "limit": 2})
    assert result["keywords"] == [{"word": "cat", "count": 2}, {"word": "hat", "count": 1}]
    assert service.cost_for({"text": "x" * 10}) == 2
    assert service.cost_for({"text": "x" * 3001}) == 4


def test_sentiment_from_the_word_list():
    service = registry.get("sentiment")
    assert service.run({"text": "I love it, great and fast"})["label"] == "positive"
    assert service.run({"text": "Slow, buggy and broken"})["label"] == "negative"
    assert service.run({"text": "It is a table"})["label"] == "neutral"


OLD_SENTENCE_END = __import__("re").compile(r"[.!?]+(?:\s|$)")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=".!?ab \n\t'", max_size=40))
def test_sentences_are_counted_as_the_quadratic_pattern_counted_them(text):
    # The linear pattern replaced one that was quadratic on runs of marks; it counts the same.
    assert len(SENTENCE_END.findall(text)) == len(OLD_SENTENCE_END.findall(text))


def test_a_long_run_of_marks_is_one_sentence_end():
    result = registry.get("text_statistics").run({"text": "Wait" + "." * 99_995 + " a"})
    assert result["sentences"] == 1 and result["words"] == 2
