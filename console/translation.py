"""Machine translation on a conversation's page: who reads what, and what is translated.

A counselor who does not answer in the person's language sees each of the person's messages in
the original and, marked "Machine translation", in their own first language; they write in
their language and send an editable translation (marked for the person in the person's
language). Per conversation, translation can be turned off (``escalations.translation_off``).
A failed translation never blocks a reply: the counselor may send their words as written or a
canned reply in the person's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Sequence

from bot.handoff.queue import QueueItem
from bot.translation.engine import MachineTranslator, Problem

# What the counselor is told when there is no translation (codes: bot.translation.engine.Problem).
PROBLEM_TEXTS = {
    Problem.NO_MODEL.value: "no translation model for this language",
    Problem.TIMED_OUT.value: "translation took too long",
    Problem.FAILED.value: "the translation model failed",
    Problem.DEGENERATE.value: "the model's output was unusable (it repeated itself)",
    Problem.NUMBERS_LOST.value: "the model dropped a number or web address: read the original",
}


def problem_text(code: str) -> str:
    return PROBLEM_TEXTS.get(code, code)


@dataclass(frozen=True)
class TranslationPlan:
    counselor_language: str
    person_language: str
    reads_it: bool  # the counselor answers in the person's language: nothing to translate
    off: bool  # turned off for this conversation
    can_in: bool  # a model (or two, through English) from the person's language to the counselor's
    can_out: bool

    @property
    def offered(self) -> bool:
        """Whether the page offers translation at all (and the switch to turn it off or on)."""
        return not self.reads_it and (self.can_in or self.can_out)

    @property
    def incoming(self) -> bool:
        return self.offered and not self.off and self.can_in

    @property
    def outgoing(self) -> bool:
        return self.offered and not self.off and self.can_out


def plan_for(translator: MachineTranslator, counselor_languages: Sequence[str], item: QueueItem) -> TranslationPlan:
    mine = counselor_languages[0] if counselor_languages else "en"
    theirs = item.language
    return TranslationPlan(
        counselor_language=mine,
        person_language=theirs,
        reads_it=theirs in counselor_languages,
        off=item.translation_off,
        can_in=translator.can_translate(theirs, mine),
        can_out=translator.can_translate(mine, theirs),
    )


async def translate_summary(translator: MachineTranslator, view: Dict[str, Any], plan: TranslationPlan) -> None:
    """Add machine translations of the person's words in the summary (the messages that set off
    danger, the evidence of each sign) to ``view`` (``console.summary.summary_view``), in place."""
    if not plan.incoming:
        return
    for moment in view.get("danger_moments") or []:
        if moment.get("text"):
            done = await translator.translate(moment["text"], plan.person_language, plan.counselor_language)
            moment["translation"] = done.text or ""
    for indicator in view.get("indicators") or []:
        if isinstance(indicator, dict) and indicator.get("evidence"):
            done = await translator.translate(str(indicator["evidence"]), plan.person_language, plan.counselor_language)
            indicator["evidence_translation"] = done.text or ""
