"""The recognition prompt of an ``stt`` request: words the customer is likely to say.

Speech recognition hears a name better when it has seen it (docs/contract.md
§1.2, ``prompt``). The prompt is written as short sample sentences in the
request's language ("Two French Dinners, Grand style."), never as a bare list
of names: from sentences Whisper keeps numbers and the sentence shape, from a
list it drops numbers and splits words. A known conversation's stage adds
what that stage expects (the chosen menu's styles, its ingredients, yes/no).
"""

from __future__ import annotations

from domain.catalog import Catalog, Menu
from domain.draft import OrderDraft
from domain.language import supported
from domain.number_words import english_number, korean_native
from domain.stages import Stage

MAX_PROMPT_CHARS = 1000
"""The contract's limit on ``prompt``."""

# 42 among them: without a tens word in sight, whisper hears "forty two" as
# "four two" and the order as 4 instead of a quantity to refuse.
_SAMPLE_COUNTS = (1, 2, 3, 42, 4, 5, 6)


def recognition_prompt(
    catalog: Catalog,
    language: str | None,
    stage: Stage | None = None,
    draft: OrderDraft | None = None,
) -> str:
    """The prompt for speech in ``language`` (:func:`~domain.language.supported`), at most
    :data:`MAX_PROMPT_CHARS` characters; ``stage`` and ``draft`` sharpen it."""
    korean = supported(language) == "ko"
    menu = catalog.find_menu(draft.menu_code) if draft and draft.menu_code else None
    # Whisper reads the prompt as the text just before the audio: what this stage
    # expects goes last, nearest to the speech, and the sample orders before it.
    expected = _within(_expected(menu, stage, korean), MAX_PROMPT_CHARS)
    room = MAX_PROMPT_CHARS - len(expected) - 1
    return " ".join(part for part in (_within(_orders(catalog, korean), room), expected) if part)


def _within(sentences: list[str], limit: int) -> str:
    """As many of ``sentences`` as fit in ``limit`` characters, joined."""
    text = ""
    for sentence in sentences:
        longer = f"{text} {sentence}".strip()
        if len(longer) > limit:
            break
        text = longer
    return text


def _orders(catalog: Catalog, korean: bool) -> list[str]:
    """One sample order per menu, cycling through numbers and the menu's styles."""
    sentences = []
    for index, menu in enumerate(catalog.menus):
        style = menu.styles[index % len(menu.styles)] if menu.styles else None
        if korean:
            number = korean_native(_SAMPLE_COUNTS[index % len(_SAMPLE_COUNTS)])
            tail = f" {style.name_ko} 스타일로" if style else ""
            sentences.append(f"{menu.name_ko} {number} 개{tail} 주세요.")
        else:
            number = english_number(_SAMPLE_COUNTS[(index + 1) % len(_SAMPLE_COUNTS)]).capitalize()
            tail = f", {style.name_en} style" if style else ""
            sentences.append(f"{number} {menu.name_en}s{tail}.")
    return sentences


def _expected(menu: Menu | None, stage: Stage | None, korean: bool) -> list[str]:
    """What a customer says at ``stage`` about ``menu``: the answers to its question."""
    if stage is None or stage == Stage.COMPLETED:
        return []
    if menu is None or stage in (Stage.GREETING, Stage.MENU_SELECTION):
        # Asked which dinner, or offered a recommendation: what it should fit, and a yes
        # or no to it ("celebration" came back "acceleration", "that one" "not one").
        # No "two of us": a number word here would be heard for "a" in "I'd like a ...".
        if korean:
            wishes = ["기념일인데 뭐가 좋을까요?", "축하하는 자리예요.", "술은 못 마셔요."]
            return ["추천해 주세요.", *wishes, "좋아요, 그걸로 할게요.", "아니요, 괜찮아요."]
        wishes = ["Something for a romantic evening?", "We're celebrating.", "I don't drink."]
        accept = ["Sounds good.", "Sure, that one.", "OK, I'll take it."]
        return ["What do you recommend?", *wishes, *accept, "Yes, please.", "No thanks."]
    if stage == Stage.STYLE_SELECTION:
        if korean:
            forms = ("{} 스타일로 할게요.", "{}로 해 주세요.", "{}요.")
            return [form.format(s.name_ko) for form in forms for s in menu.styles]
        forms = ("{} style, please.", "Make it {}.", "The {} one.")
        return [form.format(s.name_en) for form in forms for s in menu.styles]
    names = [i.name_ko if korean else i.name_en for i in menu.ingredients]
    if korean:
        changes = [f"{n} 추가해 주세요. {n} 빼 주세요." for n in names]
        cancel = "취소해 주세요."
    else:
        # One sentence each: as one comma list, "without" came back "with our"; and
        # without "Add", "add champagne" came back "without champagne".
        changes = [
            f"More {n}. Extra {n}. Add {n}. No {n}. Without {n}. Hold the {n}." for n in names
        ]
        cancel = "Cancel, please."
    # How many: asked at customization, and again after a refused number ("We can
    # make 1 to 20"); unprompted, whisper heard "fine, three" as "five, three".
    if korean:
        how_many = ["한 개요.", "두 개 주세요.", "세 개로 할게요.", "그럼 네 개요."]
    else:
        how_many = ["Just one.", "Two, please.", "I'll take three.", "Four of them."]
        how_many += ["OK, then five.", "Fine, one, please."]
    if stage == Stage.CUSTOMIZATION:
        return [*how_many, cancel, *changes]
    # Confirmation: the order is read back; a yes, a correction, or a change.
    if korean:
        styles = [f"아니 {s.name_ko}로 해 주세요." for s in menu.styles]
        corrections = ["네, 주문해 주세요.", "아니 세 개로 해 주세요.", "네 개로 바꿔 주세요."]
        return [*corrections, cancel, *styles, *changes]
    styles = [f"Actually, {s.name_en} style instead." for s in menu.styles]
    corrections = [
        "Yes, please place the order.",
        "Actually, make it three.",
        "Change that to four.",
        "OK, then two.",
        "Fine, one, please.",
    ]
    return [*corrections, cancel, *styles, *changes]
