"""The instruction model's reading of register, length, limits, conditions and emphasis,
and the measures of directives, which the conflict rules, tone-collision and format-locking
rely on."""

from __future__ import annotations

import pytest

from promptc.lint.document import Document, Piece
from promptc.lint.model import MessageModel, build_model
from promptc.lint.model.clauses import directives_of


def _model(text: str) -> MessageModel:
    return build_model(Document("system", text, [Piece(0, len(text), "text", None, (), False)]))


def _stances(sentence: str) -> set[tuple[str, bool, str | None]]:
    model = _model(sentence)
    (ins,) = model.instructions
    return {(s.value, s.negated, s.target) for s in model.stances(ins)}


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


@pytest.mark.parametrize("sentence, unit, low, high, per, target", [
    ("Keep responses under 50 words.", "word", None, 49, None, None),
    ("Write at least 200 words.", "word", 200, None, None, None),
    ("Keep the title under 60 characters.", "character", None, 59, None, "title"),
    ("Each bullet must be under 20 words.", "word", None, 19, "item", None),
    ("Use at most 3 bullet points per section.", "item", None, 3, "section", None),
    ("Your reply must not run past two paragraphs.", "paragraph", None, 2, None, None),
    ("Give one or two examples.", "example", 1, 2, None, None),
    ("Write 15-word bullets.", "word", 15, 15, "item", None),
    ("Offer five or more options.", "option", 5, None, None, None),
    ("Never use more than a dozen emojis.", "emoji", None, 12, None, None),
    ("Limit the summary to 3 sentences.", "sentence", None, 3, None, "summary"),
])
def test_measures(sentence, unit, low, high, per, target) -> None:
    (measure,) = directives_of(_model(sentence).units[0])[0].measures
    assert (measure.unit, measure.low, measure.high, measure.per, measure.target) == (unit, low, high, per, target)


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
