"""The instruction model's reading of register, length, limits, conditions and emphasis,
which conflicting-instructions, tone-collision and format-locking rely on."""

from __future__ import annotations

import pytest

from promptc.lint.document import Document, Piece
from promptc.lint.model import MessageModel, build_model


def _model(text: str) -> MessageModel:
    return build_model(Document("system", text, [Piece(0, len(text), "text", None, (), False)]))


def _stances(sentence: str) -> set[tuple[str, bool, str | None]]:
    (ins,) = _model(sentence).instructions
    return {(s.value, s.negated, s.target) for s in ins.stances}


@pytest.mark.parametrize("sentence, expected", [
    ("Be concise.", {("brief", False, None)}),
    ("Keep your answers short.", {("brief", False, None)}),
    ("Give detailed, comprehensive answers.", {("long", False, None)}),
    ("The summary should be brief.", {("brief", False, "summary")}),
    ("Be comprehensive in technical explanations.", {("long", False, "technical explanation")}),
    ("Answer directly, without elaboration.", {("long", True, None)}),
    ("Be concise but detailed.", set()),  # a deliberate blend
    ("Write in a formal tone.", {("formal", False, None)}),
    ("Keep it strictly professional.", {("formal", False, None)}),
    ("Be friendly but professional.", set()),
    ("Responses should be snappy, friendly, and casual, never formal.",
     {("casual", False, None), ("formal", True, None)}),
    ("Tone: casual and playful.", {("casual", False, None), ("playful", False, None)}),
    ("Never use emojis.", {("emoji", True, None)}),
    ("Emojis are not allowed.", {("emoji", True, None)}),
    ("Feel free to use emojis.", {("emoji", False, None)}),
    ("Don't use emojis, and keep it casual.", {("emoji", True, None), ("casual", False, None)}),
    ("Don't be afraid to use humor.", {("humour", False, None)}),
    ("Never include emojis before links.", {("emoji", True, "link")}),
    ("Use emojis sparingly.", set()),
    ("Never use more than one emoji.", set()),  # a limit, not a prohibition
    ("Create a formal spec document.", set()),
    ("Match the user's level of formality.", set()),
])
def test_stances(sentence, expected) -> None:
    assert _stances(sentence) == expected


@pytest.mark.parametrize("sentence, target, part", [
    ("Keep responses under 50 words.", None, False),
    ("Write at least 200 words.", None, False),
    ("Keep the title under 60 characters.", "title", False),
    ("Each bullet must be under 20 words.", "bullet", True),
    ("Use at most 3 bullet points per section.", "section", True),
])
def test_limit_targets(sentence, target, part) -> None:
    (limit,) = _model(sentence).instructions[0].limits
    assert (limit.target, limit.part) == (target, part)


def test_limits_contradict_when_disjoint_or_when_a_part_outgrows_the_whole() -> None:
    m = _model("Keep answers under 50 words.\nWrite at least 200 words.\nEach bullet must be under 20 words.\n"
               "Each bullet must have at least 60 words.")
    under, least, small_part, big_part = (i.limits[0] for i in m.instructions)
    assert under.contradicts(least) and least.contradicts(under)
    assert not small_part.contradicts(least)
    assert big_part.contradicts(under)


def test_a_modal_followed_by_a_negation_is_a_prohibition() -> None:
    text = "You must NEVER generate URLs.\nYou should not cite the sources.\nAlways cite sources."
    a, b, c = _model(text).instructions
    assert (a.modality, b.modality, c.modality) == ("prohibit", "prohibit", "require")
    assert b.predicate == c.predicate and b.subject == c.subject


def test_conditions_leads_and_situations() -> None:
    m = _model("Be concise.\nIf the user is upset:\n- Apologize once.\n- Offer a call.\n\n"
               "## Tone\nBe formal.\n## Emails\nSign with your name.")
    concise, lead, apologize, offer, formal, sign = m.instructions
    assert m.condition(concise) is None and m.condition(apologize) and m.condition(offer)
    assert formal.unit.situation is None and sign.unit.situation == "Emails"
    assert m.always_together(concise, formal) and not m.always_together(concise, sign)


def test_fallback_and_shouted_modals() -> None:
    m = _model("List exactly 5 items.\nIf there are fewer, list them all.\n\nUse exactly 3 bullets.\n"
               "You MUST NOT guess.\nNEVER guess and ALWAYS ask.\nIMPORTANT: Respond ONLY in JSON.")
    listed, _, bullets, must_not, chain, label = m.instructions
    assert m.fallback(listed) is not None and m.fallback(bullets) is None
    assert (must_not.shouted_modals, chain.shouted_modals, label.shouted_modals) == (1, 2, 1)
