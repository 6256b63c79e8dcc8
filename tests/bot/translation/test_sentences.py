"""The sentence split used instead of argostranslate's MiniSBD (which downloads a model)."""

from bot.translation.sentences import MAX_SENTENCE_CHARS, split_sentences


def test_sentences_end_at_the_full_stops_of_each_script() -> None:
    assert split_sentences("He took my passport. Where do I go? Help!") == ["He took my passport.", "Where do I go?", "Help!"]
    assert split_sentences("他拿走了我的护照。我该怎么办？") == ["他拿走了我的护照。", "我该怎么办？"]
    assert split_sentences("मेरा पासपोर्ट ले लिया। मदद करो") == ["मेरा पासपोर्ट ले लिया।", "मदद करो"]
    assert split_sentences("أين أنا؟ ساعدني") == ["أين أنا؟", "ساعدني"]
    assert split_sentences("line one\n\nline two") == ["line one", "line two"]


def test_numbers_and_abbreviated_amounts_are_not_cut() -> None:
    assert split_sentences("Call 1-888-373-7888 now. I earn 3.50 a day") == ["Call 1-888-373-7888 now.", "I earn 3.50 a day"]


def test_a_sentence_too_long_for_a_model_is_cut_at_a_comma_or_space() -> None:
    long = ", ".join(["they took our phones and passports"] * 20)
    parts = split_sentences(long)
    assert len(parts) > 1 and all(len(part) <= MAX_SENTENCE_CHARS for part in parts)
    assert " ".join(parts).replace(" ,", ",") == long


def test_nothing_becomes_no_sentences() -> None:
    assert split_sentences("   \n ") == []
