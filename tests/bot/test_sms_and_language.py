"""SMS segment arithmetic and the per-conversation language rule."""

from __future__ import annotations

import re

import pytest

from bot.language import Detection, LanguageIdentifier, conversation_language, written_language
from bot.language_names import requested_language
from bot.safety import is_help_keyword, mentions_child
from bot.sms import is_gsm7, segment_count, split_for_sms, to_gsm7, turn_segments, turn_text
from bot.text import fold


def test_gsm7_and_ucs2_segment_limits() -> None:
    assert segment_count("a" * 160) == 1 and segment_count("a" * 161) == 2
    assert segment_count("a" * 306) == 2 and segment_count("a" * 307) == 3
    assert is_gsm7("¿Qué pasó? ñ ü é") is False  # á/ó are not GSM-7
    assert segment_count("ó" * 70) == 1 and segment_count("ó" * 71) == 2 and segment_count("ó" * 135) == 3
    assert segment_count("€" * 80) == 1 and segment_count("€" * 81) == 2  # extension characters cost two septets


def test_fold_keeps_offsets() -> None:
    text = "Me QUITARON el Pasaporte en España"
    assert fold(text) == "me quitaron el pasaporte en espana" and len(fold(text)) == len(text)


IDENTIFIER = LanguageIdentifier(["en", "es"])


@pytest.mark.parametrize(
    "text, language",
    [
        ("me quitaron el pasaporte", "es"),
        ("they took my passport", "en"),
        ("AYUDA", "es"),
        ("necesito ayuda porfa", "es"),
        ("hello", "en"),  # lingua alone says Spanish: the marker words decide very short messages
        ("yes", "en"),
        ("hola", "es"),
        ("si", "es"),
    ],
)
def test_detects_english_and_spanish(text: str, language: str) -> None:
    assert IDENTIFIER.detect(text).language == language


def test_script_rules_cover_scripts_lingua_lacks() -> None:
    burmese = LanguageIdentifier(["en", "my"])
    assert burmese.detect("ကျွန်တော့်ကို ကူညီပါ").language == "my"


def test_conversation_keeps_its_language_for_short_or_unsure_messages() -> None:
    configured, default = ("en", "es"), "en"
    assert conversation_language(None, Detection("es", 0.9), "hola", None, configured, default) == "es"
    # "ok" or a name in the other language does not flip the conversation
    assert conversation_language("es", Detection("en", 0.95), "ok", None, configured, default) == "es"
    assert conversation_language("en", Detection("es", 0.7), "Maria Lopez", None, configured, default) == "en"
    # a clear message of several words in the other language does
    assert conversation_language("en", Detection("es", 0.99), "mi patron no me paga nada", None, configured, default) == "es"
    # and an explicit request always does
    assert conversation_language("es", Detection("es", 0.99), "english please", "en", configured, default) == "en"
    # an unsure first message gets the default language
    assert conversation_language(None, Detection("es", 0.3), "??", None, configured, default) == "en"


def test_language_requests_are_recognised() -> None:
    assert requested_language("en español por favor") == "es"
    assert requested_language("can we talk in English") == "en"
    assert requested_language("hola") is None


def test_child_and_help_keyword_cues() -> None:
    assert mentions_child("my daughter is 15 years old and works there")
    assert mentions_child("tengo 16 años")
    assert not mentions_child("I am 30 and work in a factory")
    assert is_help_keyword("HELP") and is_help_keyword("ayuda!!") and not is_help_keyword("help me with my visa")


def test_long_replies_are_split_between_sentences_or_words_within_segment_limits() -> None:
    from bot.sms import split_for_sms, split_for_whatsapp

    spanish = (
        "Esto borrará esta conversación y todo lo guardado de ella. No se puede deshacer. "
        "Responde SÍ para borrar o NO para conservarla. Si alguien puede revisar tu teléfono, bórrala."
    )
    arabic = "إذا كنت في خطر الآن اتصل برقم الطوارئ المحلي. " * 4
    english = "The UN Palermo Protocol (art. 6) asks countries to consider housing, counselling and help. " * 3
    for text in (spanish, arabic, english):
        parts = split_for_sms(text)
        assert len(parts) > 1
        assert " ".join(parts).split() == text.split()  # nothing lost, no word cut
        assert all(segment_count(part) == 1 for part in parts)
    assert split_for_sms("short") == ["short"]
    assert all(len(part) <= 1600 for part in split_for_whatsapp("word " * 1000))


def test_nepali_is_told_from_hindi_by_words_only_nepali_uses() -> None:
    identifier = LanguageIdentifier(["en", "hi", "ne"])
    assert identifier.detect("मलाई मद्दत चाहिन्छ, मालिकले मेरो पासपोर्ट लिएको छ").language == "ne"
    assert identifier.detect("मुझे मदद चाहिए, मालिक ने मेरा पासपोर्ट ले लिया है").language == "hi"
    assert identifier.detect("मुझे कुछ पैसे नहीं मिले").language == "hi"  # कुछ ends in छ but is Hindi
    # Nepali writes its postpositions on the word (घरमा "in the house", मालिकले "the employer").
    assert identifier.detect("साउदीमा मालिकले पासपोर्ट राख्न पाउँछ कि पाउँदैन").language == "ne"
    # A Hindi word with a Nepali ending ("पहले", "आपको") is outweighed by Hindi's own words.
    assert identifier.detect("पहले आपको बताया था कि मालिक पैसे नहीं देता").language == "hi"


def test_a_word_both_languages_share_is_read_in_the_language_of_the_lines_number() -> None:
    identifier = LanguageIdentifier(["en", "hi", "ne"])
    assert identifier.detect("नमस्ते", expected="ne").language == "ne"
    assert identifier.detect("नमस्ते").language == "hi"
    assert identifier.detect("मुझे मदद चाहिए", expected="ne").language == "hi"  # Hindi's own words win


ROMANISED = ["en", "es", "fr", "pt", "ro", "sq", "tl", "id", "vi", "sw", "pl", "tr", "hi", "ne", "ar", "ru", "uk", "bg"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("bhai mujhe yahan se nikalna hai, seth ne mera passport rakh liya", "hi"),
        ("malai yaha bata nikalnu cha, sahu le mero passport rakheko cha", "ne"),
        ("ana m7bosa fel beit w el madam 5adet el basbor, 7ad ysa3edni", "ar"),
        ("pomogite pozhaluysta, hozyain zabral pasport i ne platit", "ru"),
        ("dopomozhit' bud' laska, vlasnyk zabrav pasport i ne platyt'", "uk"),
        ("pomognete mi, shefat vzeha pasporta i ne mi plashta", "bg"),
        ("6efa ni zakliu4i v kazarmata, pomognete", "bg"),
        ("cuu voi, tui no danh em trong phong, khong cho ra ngoai", "vi"),
    ],
)
def test_a_language_typed_in_latin_letters_is_read_by_its_own_words(text: str, language: str) -> None:
    assert LanguageIdentifier(ROMANISED).detect(text).language == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("my boss took my passport and i have not been paid since june", "en"),
        ("mi jefe me quitó el pasaporte y no me paga desde junio", "es"),
        ("kinuha ng amo ko yung passport ko at hindi pa ako sinasahuran", "tl"),
        ("majikan saya ambil paspor saya dan gaji belum dibayar", "id"),
        ("bosi wangu amechukua pasipoti yangu na hajanilipa mshahara", "sw"),
        ("szef zabrał mi paszport i nie płaci mi od czerwca", "pl"),
        ("see you 2day at 9am, gr8", "en"),
        ("majikan laki2 masuk kamar malam2, aku takut sekali", "id"),  # Indonesian doubling, not Arabizi
    ],
)
def test_latin_script_languages_are_not_taken_for_a_romanisation(text: str, language: str) -> None:
    assert LanguageIdentifier(ROMANISED).detect(text).language == language


def test_arabizi_digits_count_as_arabic_and_a_tie_between_hindi_and_nepali_goes_to_the_lines_number() -> None:
    identifier = LanguageIdentifier(ROMANISED)
    assert identifier.detect("3ayez a5rog mn hena").language == "ar"
    assert identifier.detect("ghar paisa", expected="ne").language == "ne"
    assert identifier.detect("ghar paisa", expected="hi").language == "hi"


def test_a_language_the_bot_cannot_write_is_kept_for_the_counselor_and_short_messages_never_change_it() -> None:
    configured = ("en", "es")
    swahili = Detection("sw", 0.97)
    text = "bosi wangu amechukua pasipoti yangu"
    assert written_language(None, swahili, text, configured) == "sw"
    assert written_language("sw", Detection("en", 0.6), "ok", configured) == "sw"
    assert written_language("sw", Detection("tr", 0.9), "1", configured) == "sw"
    assert written_language("sw", Detection("en", 0.95), "sorry, can we talk in english", configured) is None
    assert written_language(None, Detection("th", 1.0), "ช่วยด้วยค่ะ", configured) == "th"
    # Once the conversation is under way, an unsure guess never hands it over.
    assert written_language(None, Detection("tl", 0.6), "ok po salamat sa tulong", configured, established=True) is None
    assert written_language(None, Detection("tl", 0.97), "ok po salamat sa tulong", configured, established=True) == "tl"
    # The conversation's own language stays one the bot writes.
    assert conversation_language(None, swahili, text, None, configured, "en") == "en"


def test_accents_gsm7_lacks_are_dropped_for_sms_other_scripts_are_not() -> None:
    assert to_gsm7("¿Información? Sí, el niño está aquí. “ok”") == '¿Informacion? Si, el niño esta aqui. "ok"'
    assert to_gsm7("مرحبا، أحتاج مساعدة") == "مرحبا، أحتاج مساعدة"
    spanish = "Gracias por contarme. Parece que no te pagan lo que te deben. Eso no está bien, y puedes recibir ayuda."
    assert segment_count(spanish) == 2 and segment_count(turn_text([spanish])) == 1


def test_a_turn_is_sent_as_few_sms_as_its_words_need() -> None:
    replies = ["This help line is confidential.", "In danger now? Call 911.", "x " * 60]
    assert turn_segments(replies) == len(split_for_sms(" ".join(replies))) == 2
    # Cut only between sentences these would take 4 SMS (100+60 does not fit in 153); between
    # words they take 3.
    long_sentences = [("word " * 20).strip() + ".", ("text " * 12).strip() + "."] * 2
    parts = split_for_sms(" ".join(long_sentences))
    assert len(parts) == 3 and all(len(part) <= 153 for part in parts)
    assert " ".join(parts) == " ".join(long_sentences)


def test_vietnamese_without_its_d_with_stroke_still_goes_as_gsm7() -> None:
    assert to_gsm7("Bạn đang gặp nguy hiểm? Gọi 113.") == "Ban dang gap nguy hiem? Goi 113."


def test_a_reply_in_a_script_without_capitals_or_spaces_is_cut_between_its_sentences() -> None:
    first = "我们已经收到你的消息，工作人员会尽快在这里回复你，请你耐心等待一下，不要着急。"
    second = "如果你现在有危险，请马上拨打紧急电话，然后找一个安全的地方等待我们的回复。"
    assert split_for_sms(first + second) == [first, second]
    hindi = "आपका संदेश हमें मिल गया है और हमारी टीम जल्दी ही यहाँ जवाब देगी। " * 2
    assert all(part.endswith("।") for part in split_for_sms(hindi + hindi))


def test_words_keep_their_vowel_signs() -> None:
    from bot.text import words

    assert words("नहीं मुझे मदद चाहिए") == ["नहीं", "मुझे", "मदद", "चाहिए"]
    assert words("ကူညီပါ") == ["ကူညီပါ"]


@pytest.mark.parametrize(
    "text, minor",
    [
        ("عمري ١٥ سنة وكفيلي ياخذ جوازي", True),  # Arabic digits
        ("em moi 15 tuoi, chu giu ho chieu", True),
        ("मैं 14 साल की हूँ", True),
        ("nasa bahay ang mga bata ng amo ko", True),
        ("อายุ 16 ทำงานในโรงงาน", True),
        ("mon fils a 30 ans", False),
        ("我在迪拜做了二十五年", False),
    ],
)
def test_a_minor_is_noticed_in_every_language(text: str, minor: bool) -> None:
    assert mentions_child(text) is minor


def test_every_combining_mark_is_part_of_a_word() -> None:
    """Word patterns add the combining marks ``\\w`` leaves out; none may be missed, in any plane."""
    import sys
    import unicodedata

    from bot.text import MARKS

    every_mark = re.compile(f"[{MARKS}]")
    missed = [hex(point) for point in range(sys.maxunicode + 1)
              if unicodedata.category(chr(point)) in ("Mn", "Mc") and not every_mark.match(chr(point))]
    assert not missed


def test_no_word_of_a_romanisation_is_a_word_of_a_latin_script_languages_training_data() -> None:
    """A romanisation's word that Spanish or Tagalog also uses ("ko", "ng") would take their messages."""
    import yaml

    from bot.config import PROJECT_ROOT
    from bot.language import latin_tokens, recognised_languages, romanised_rules

    identifier = LanguageIdentifier(recognised_languages())
    rules = romanised_rules(recognised_languages())
    clashes = set()
    for language in ("en", "es", "fr", "pt", "ro", "sq", "tl", "id", "vi"):
        for path in (PROJECT_ROOT / "nlu_data" / language).glob("*.yml"):
            for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
                for example in block["examples"]:
                    tokens = latin_tokens(example["text"]) or []
                    read_as = identifier.detect(example["text"]).language
                    if read_as not in (language, "en") and read_as in {rule.language for rule in rules}:
                        continue  # a romanised message in this language's data (Darija among the French)
                    clashes |= {
                        (rule.language, language, token)
                        for rule in rules
                        if rule.language != language
                        for token in set(tokens) & rule.words
                    }
    assert not clashes, repr(sorted(clashes))
