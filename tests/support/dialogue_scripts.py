"""Scripted conversations, greeting to placed order (or cancel), in Korean and English.

Each line is one the customer needs: asked how many, a number (a change or a
"that's all" is no answer to it, and 1 is never assumed); a change said to the
order read back is asked back ("Did I hear that right: extra wine?") and a "yes"
takes it; the order is read back with it and a "yes" places it.
``tests/ai_worker/test_dialogue_corpus.py`` runs them on the rules engine,
``tests/voice/test_dialogue_corpus.py`` through the service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.support.ai_catalog import MEMBER_HISTORY, VALENTINE_EVENT

CANCELLED = None


@dataclass(frozen=True)
class Script:
    name: str
    lines: list[str]
    # (menu, style, quantity, customizations), or CANCELLED
    order: tuple[str, str, int, dict[str, int]] | None
    history: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)


SCRIPTS = [
    # English, step by step
    Script("en-step-by-step", ["Hello", "French dinner please", "grand", "just one", "yes"],
           ("french", "grand", 1, {})),
    Script("en-one-sentence", ["Hi", "Two French dinners, grand style", "yes, place the order"],
           ("french", "grand", 2, {})),
    Script("en-words-quantity", ["hello", "I'd like three English dinners in deluxe style", "sure"],
           ("english", "deluxe", 3, {})),
    Script("en-more-wine",
           ["hi", "valentine dinner", "simple", "one", "more wine", "yes", "confirm"],
           ("valentine", "simple", 1, {"wine": 2})),
    Script("en-no-bacon",
           ["hey", "English dinner, simple style", "one", "no bacon please", "yes", "yes"],
           ("english", "simple", 1, {"bacon": 0})),
    Script("en-remove-then-confirm",
           ["good evening", "the english dinner", "grand please", "one",
            "without bacon and extra eggs", "yes", "yes"],
           ("english", "grand", 1, {"bacon": 0, "eggs": 2})),
    Script("en-two-more-wines", ["hello", "french", "deluxe", "one", "two more glasses of wine",
                                  "yes", "ok"],
           ("french", "deluxe", 1, {"wine": 3})),
    Script("en-champagne-simple-refused",
           ["hello", "champagne feast dinner", "simple", "deluxe then", "one", "extra champagne",
            "yes", "yes"],
           ("champagne_feast", "deluxe", 1, {"champagne": 2})),
    Script("en-change-menu-mid-way",
           ["hi", "french dinner", "grand", "actually, change the menu", "english dinner",
            "just one", "yes"],
           ("english", "grand", 1, {})),
    Script("en-go-back-to-style", ["hi", "valentine dinner grand", "go back", "deluxe",
                                    "just one", "yes"],
           ("valentine", "deluxe", 1, {})),
    Script("en-correct-quantity", ["hello", "two french dinners grand style", "make it 4",
                                    "yes"],
           ("french", "grand", 4, {})),
    Script("en-not-this-but-that", ["hello", "not the french, the english dinner", "simple",
                                     "just one", "yes"],
           ("english", "simple", 1, {})),
    Script("en-cancel", ["hello", "french dinner grand", "cancel"], CANCELLED),
    Script("en-cancel-at-style", ["hi", "valentine", "never mind"], CANCELLED),
    Script("en-recommend-guest", ["hello", "what do you recommend?", "sounds good", "grand",
                                   "just one", "yes"],
           ("valentine", "grand", 1, {})),
    Script("en-recommend-event", ["hi", "any recommendation?", "yes please", "deluxe", "one",
                                   "yes"],
           ("valentine", "deluxe", 1, {}), events=[VALENTINE_EVENT]),
    Script("en-member-favourite", ["hello", "what would you suggest?", "I'll take it",
                                    "just one", "yes"],
           ("french", "grand", 1, {}), history=MEMBER_HISTORY),
    Script("en-member-usual", ["hi", "the usual please", "yes"],
           ("french", "grand", 2, {"wine": 2}), history=MEMBER_HISTORY),
    Script("en-inquiry-first", ["hello", "what's in the english dinner?", "ok, english dinner",
                                 "grand", "one", "more bacon", "yes", "yes"],
           ("english", "grand", 1, {"bacon": 3})),
    Script("en-double-steak",
           ["hi", "french dinner, deluxe", "one", "double the steak", "yes", "yes"],
           ("french", "deluxe", 1, {"steak": 2})),
    # Korean
    Script("ko-step-by-step", ["안녕하세요", "프렌치 디너로 할게요", "그랜드요", "한 개요", "네"],
           ("french", "grand", 1, {})),
    Script("ko-one-sentence", ["안녕하세요", "프렌치 디너 두 개 그랜드 스타일로 주세요",
                               "네 주문할게요"],
           ("french", "grand", 2, {})),
    Script("ko-native-numbers", ["안녕", "잉글리시 디너 세 개 디럭스로", "좋아요"],
           ("english", "deluxe", 3, {})),
    Script("ko-servings", ["안녕하세요", "발렌타인 디너 2인분 심플로요", "네"],
           ("valentine", "simple", 2, {})),
    Script("ko-add-steak", ["안녕하세요", "발렌타인 디너", "디럭스", "한 개요",
                            "스테이크 추가해 주세요", "네", "네"],
           ("valentine", "deluxe", 1, {"steak": 2})),
    Script("ko-remove-bacon", ["안녕하세요", "잉글리시 디너요", "심플", "한 개요",
                               "베이컨 빼 주세요", "네", "네"],
           ("english", "simple", 1, {"bacon": 0})),
    Script("ko-wine-two-more", ["안녕", "프렌치 디너 그랜드", "한 개요",
                                "와인 두 잔 더 주세요", "네", "네"],
           ("french", "grand", 1, {"wine": 3})),
    Script("ko-champagne-grand-only",
           ["안녕하세요", "샴페인 축제 디너 주세요", "심플로요", "그랜드로 할게요", "한 개요",
            "바게트빵 하나 빼 주세요", "네", "네"],
           ("champagne_feast", "grand", 1, {"baguette": 3})),
    Script("ko-go-back", ["안녕하세요", "프렌치 디너 그랜드로", "이전 단계로 돌아갈래요",
                          "디럭스로 바꿀게요", "한 개요", "네"],
           ("french", "deluxe", 1, {})),
    Script("ko-change-menu", ["안녕하세요", "프렌치 디너", "메뉴 바꿀래요",
                              "잉글리시 디너로 할게요", "그랜드", "한 개요", "네"],
           ("english", "grand", 1, {})),
    Script("ko-quantity-correction", ["안녕하세요", "발렌타인 디너 그랜드 하나요",
                                      "아니 두 개로 해 주세요", "네"],
           ("valentine", "grand", 2, {})),
    Script("ko-cancel", ["안녕하세요", "프렌치 디너 주세요", "주문 취소할게요"], CANCELLED),
    Script("ko-cancel-at-confirmation", ["안녕하세요", "잉글리시 디너 그랜드", "아니요",
                                         "취소해 주세요"], CANCELLED),
    Script("ko-recommend-member", ["안녕하세요", "추천해 주세요", "그걸로 할게요", "한 개요", "네"],
           ("french", "grand", 1, {}), history=MEMBER_HISTORY),
    Script("ko-usual", ["안녕하세요", "늘 먹던 걸로 주세요", "네"],
           ("french", "grand", 2, {"wine": 2}), history=MEMBER_HISTORY),
    Script("ko-event-recommend", ["안녕하세요", "뭐가 좋을까요? 추천해 주세요", "좋아요",
                                  "그랜드요", "한 개요", "와인 추가", "네", "네"],
           ("valentine", "grand", 1, {"wine": 2}), events=[VALENTINE_EVENT]),
    Script("ko-menu-question", ["안녕하세요", "메뉴 뭐가 있어요?", "프렌치 디너는 뭐가 들어가요?",
                                "프렌치 디너 심플로 주세요", "한 개요",
                                "커피 빼고 샐러드 추가", "네", "네"],
           ("french", "simple", 1, {"coffee": 0, "salad": 2})),
]  # fmt: skip
