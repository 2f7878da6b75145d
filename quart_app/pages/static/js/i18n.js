// Korean and English text of both pages; elements name their text with data-i18n.
const STRINGS = {
  ko: {
    "lang.label": "언어",
    "kiosk.title": "디너 주문 키오스크",
    "kiosk.speak": "답변 읽어 주기",
    "kiosk.restart": "처음부터",
    "kiosk.conversation": "대화",
    "kiosk.latest": "최근 답변:",
    "kiosk.utterance": "무엇을 드릴까요?",
    "kiosk.send": "보내기",
    "kiosk.talk": "말하기",
    "kiosk.talk_hint": "누르고 말하거나, 눌러서 시작하고 다시 눌러서 끝내세요",
    "kiosk.listening": "듣고 있어요… 끝나면 다시 누르세요.",
    "kiosk.transcribing": "알아듣는 중…",
    "kiosk.no_mic": "마이크를 쓸 수 없어요. 글로 입력해 주세요.",
    "kiosk.heard_nothing": "말씀을 듣지 못했어요. 다시 해 주세요.",
    "kiosk.menu": "메뉴",
    "kiosk.order": "주문 내역",
    "kiosk.nothing": "아직 고른 메뉴가 없어요.",
    "kiosk.confirm": "네, 주문할게요",
    "kiosk.cancel": "취소",
    "kiosk.order_id": "주문 번호",
    "kiosk.status": "상태",
    "kiosk.cake": "케이크 그림 만들기",
    "kiosk.cake_prompt": "원하는 케이크를 설명해 주세요",
    "kiosk.cake_draw": "그리기",
    "kiosk.cake_drawing": "그리는 중…",
    "kiosk.cake_attached": "주문에 붙였어요",
    "kiosk.quantity": "수량",
    "kiosk.style": "스타일",
    "kiosk.total": "합계",
    "kiosk.each": "개당",
    "staff.title": "직원 보드",
    "staff.live": "실시간",
    "staff.sign_in": "로그인 (데모)",
    "staff.user": "사용자 ID",
    "staff.role": "역할",
    "staff.login": "로그인",
    "staff.signed_in": "로그인:",
    "staff.stats": "접속 현황",
    "staff.orders": "주문",
    "staff.empty": "아직 주문이 없어요.",
    "staff.assign": "배정",
    "staff.assign_to": "담당자",
    "staff.cook": "요리사",
    "staff.courier": "배달원",
    "staff.total": "전체",
    "staff.users": "사용자",
    "role.cook": "요리사",
    "role.delivery": "배달원",
    "role.manager": "매니저",
    "role.customer": "고객",
  },
  en: {
    "lang.label": "Language",
    "kiosk.title": "Dinner kiosk",
    "kiosk.speak": "Read replies aloud",
    "kiosk.restart": "Start over",
    "kiosk.conversation": "Conversation",
    "kiosk.latest": "Latest reply:",
    "kiosk.utterance": "What would you like?",
    "kiosk.send": "Send",
    "kiosk.talk": "Talk",
    "kiosk.talk_hint": "Hold to talk, or click to start and click again to stop",
    "kiosk.listening": "Listening… click again when you are done.",
    "kiosk.transcribing": "Listening to what you said…",
    "kiosk.no_mic": "The microphone is not available. Please type instead.",
    "kiosk.heard_nothing": "I did not catch that. Please try again.",
    "kiosk.menu": "Menu",
    "kiosk.order": "Your order",
    "kiosk.nothing": "Nothing chosen yet.",
    "kiosk.confirm": "Yes, place the order",
    "kiosk.cancel": "Cancel",
    "kiosk.order_id": "Order number",
    "kiosk.status": "Status",
    "kiosk.cake": "Custom cake picture",
    "kiosk.cake_prompt": "Describe the cake",
    "kiosk.cake_draw": "Draw it",
    "kiosk.cake_drawing": "Drawing…",
    "kiosk.cake_attached": "attached to your order",
    "kiosk.quantity": "Quantity",
    "kiosk.style": "Style",
    "kiosk.total": "Total",
    "kiosk.each": "each",
    "staff.title": "Staff board",
    "staff.live": "Live",
    "staff.sign_in": "Sign in (demo)",
    "staff.user": "User id",
    "staff.role": "Role",
    "staff.login": "Sign in",
    "staff.signed_in": "Signed in:",
    "staff.stats": "Connections",
    "staff.orders": "Orders",
    "staff.empty": "No orders yet.",
    "staff.assign": "Assign",
    "staff.assign_to": "Staff member",
    "staff.cook": "Cook",
    "staff.courier": "Courier",
    "staff.total": "Total",
    "staff.users": "Users",
    "role.cook": "Cook",
    "role.delivery": "Courier",
    "role.manager": "Manager",
    "role.customer": "Customer",
  },
};

const STATUS = {
  ko: {
    pending: "접수 대기", accepted: "접수됨", cooking: "조리 중", ready: "준비 완료",
    delivering: "배달 중", delivered: "배달 완료", cancelled: "취소됨",
  },
  en: {
    pending: "Waiting", accepted: "Accepted", cooking: "Cooking", ready: "Ready",
    delivering: "On the way", delivered: "Delivered", cancelled: "Cancelled",
  },
};

// The step buttons say what they do, not the status they lead to.
const STEP = {
  ko: {
    accepted: "접수", cooking: "조리 시작", ready: "조리 완료", delivering: "배달 출발",
    delivered: "배달 완료", cancelled: "취소",
  },
  en: {
    accepted: "Accept", cooking: "Start cooking", ready: "Mark ready",
    delivering: "Start delivery", delivered: "Mark delivered", cancelled: "Cancel",
  },
};

export const LANGUAGES = Object.keys(STRINGS);

export function pickLanguage(stored) {
  if (LANGUAGES.includes(stored)) return stored;
  const browser = (navigator.language || "ko").slice(0, 2);
  return LANGUAGES.includes(browser) ? browser : "ko";
}

export function t(lang, key) {
  return STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
}

export const statusName = (lang, status) => STATUS[lang][status] ?? status;
export const stepName = (lang, status) => STEP[lang][status] ?? status;

export function money(lang, amount) {
  return new Intl.NumberFormat(lang === "ko" ? "ko-KR" : "en-US", {
    style: "currency", currency: "KRW",
  }).format(amount);
}

// Fills every [data-i18n] (text) and [data-i18n-title] (title) under root.
export function translate(root, lang) {
  document.documentElement.lang = lang;
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(lang, element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-title]")) {
    element.title = t(lang, element.dataset.i18nTitle);
  }
}
