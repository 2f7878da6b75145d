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
    "kiosk.hands_free": "핸즈프리",
    "kiosk.hands_free_hint": "그냥 말씀하세요. 말씀을 멈추면 키오스크가 알아들어요",
    "kiosk.state_off": "",
    "kiosk.state_listening": "듣고 있어요",
    "kiosk.state_hearing": "말씀을 듣는 중…",
    "kiosk.state_thinking": "생각하는 중…",
    "kiosk.hands_free_refused": "핸즈프리를 지금 쓸 수 없어요. 말하기 버튼을 눌러 주세요.",
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
    "kiosk.hands_free": "Hands-free",
    "kiosk.hands_free_hint": "Just talk: the kiosk hears when you stop",
    "kiosk.state_off": "",
    "kiosk.state_listening": "Listening",
    "kiosk.state_hearing": "Hearing you…",
    "kiosk.state_thinking": "Thinking…",
    "kiosk.hands_free_refused": "Hands-free is not available now. Use the Talk button.",
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
    pending: "접수 대기",
    accepted: "접수됨",
    cooking: "조리 중",
    ready: "준비 완료",
    delivering: "배달 중",
    delivered: "배달 완료",
    cancelled: "취소됨",
  },
  en: {
    pending: "Waiting",
    accepted: "Accepted",
    cooking: "Cooking",
    ready: "Ready",
    delivering: "On the way",
    delivered: "Delivered",
    cancelled: "Cancelled",
  },
};

// The step buttons say what they do, not the status they lead to.
const STEP = {
  ko: {
    accepted: "접수",
    cooking: "조리 시작",
    ready: "조리 완료",
    delivering: "배달 출발",
    delivered: "배달 완료",
    cancelled: "취소",
  },
  en: {
    accepted: "Accept",
    cooking: "Start cooking",
    ready: "Mark ready",
    delivering: "Start delivery",
    delivered: "Mark delivered",
    cancelled: "Cancel",
  },
};

// Every error code of docs/contract.md §3 and of the socket's error frames (§6) in words, in
// both languages; a code the page does not know is shown with the server's own message.
const ERRORS = {
  ko: {
    network_error: "서버에 연결할 수 없어요. 네트워크를 확인해 주세요.",
    http_error: "요청을 처리하지 못했어요.",
    validation_error: "입력한 내용을 확인해 주세요.",
    invalid_body: "요청 내용이 올바르지 않아요.",
    invalid_json: "요청 내용이 올바르지 않아요.",
    invalid_encoding: "요청 내용의 글자가 올바르지 않아요.",
    invalid_host: "이 주소로는 서비스를 쓸 수 없어요.",
    invalid_framing: "요청 형식이 올바르지 않아요.",
    invalid_idempotency_key: "요청을 구별하는 키가 올바르지 않아요.",
    method_not_allowed: "이 주소에서는 할 수 없는 요청이에요.",
    request_entity_too_large: "보낸 내용이 너무 커요.",
    invalid_frame: "실시간 연결로 잘못된 메시지가 전송됐어요.",
    unknown_type: "실시간 연결로 알 수 없는 메시지가 전송됐어요.",
    frame_too_large: "실시간 연결로 보낸 메시지가 너무 커요.",
    unauthorized: "로그인이 필요하거나 로그인 정보가 만료됐어요. 다시 로그인해 주세요.",
    forbidden: "이 작업을 할 권한이 없어요.",
    not_found: "찾을 수 없어요.",
    session_not_found: "대화가 만료됐어요. 처음부터 다시 말씀해 주세요.",
    session_busy: "이전 말씀을 처리하고 있어요. 잠시 후 다시 해 주세요.",
    session_completed: "이미 끝난 대화예요. 처음부터 다시 시작해 주세요.",
    session_forbidden: "다른 분의 대화예요. 처음부터 다시 시작해 주세요.",
    session_not_confirmed: "주문을 확인한 뒤에 접수할 수 있어요.",
    incomplete_order: "주문 내용이 아직 다 정해지지 않았어요.",
    illegal_transition: "주문이 이미 다른 상태로 바뀌었어요.",
    conflict: "주문이 동시에 바뀌었어요. 다시 해 주세요.",
    idempotency_conflict: "같은 키로 다른 주문이 이미 접수됐어요.",
    rate_limited: "요청이 너무 많아요. 잠시 후 다시 해 주세요.",
    too_many_connections: "열린 창이 너무 많아요. 다른 창을 닫아 주세요.",
    audio_too_large: "녹음이 너무 길어요. 짧게 나눠서 말씀해 주세요.",
    empty_audio: "녹음된 소리가 없어요. 다시 해 주세요.",
    unsupported_media_type: "이 형식의 녹음은 처리할 수 없어요.",
    bad_audio: "녹음을 읽을 수 없었어요. 다시 해 주세요.",
    overloaded: "주문이 몰려 있어요. 잠시 후 다시 해 주세요.",
    ai_unavailable: "지금은 음성 도우미가 들을 수 없어요.",
    too_many_streams: "다른 창에서 이미 핸즈프리를 쓰고 있어요.",
    invalid_start: "핸즈프리를 시작하지 못했어요. 다시 해 주세요.",
    idle: "한동안 소리가 없어서 핸즈프리를 껐어요.",
    closed: "음성 도우미가 듣기를 멈췄어요. 핸즈프리를 다시 켜 주세요.",
    bus_unavailable: "주문 도우미에 연결할 수 없어요. 잠시 후 다시 해 주세요.",
    database_unavailable: "주문 기록을 잠시 쓸 수 없어요. 잠시 후 다시 해 주세요.",
    ai_timeout: "주문 도우미가 제때 답하지 못했어요. 다시 해 주세요.",
    ai_error: "주문 도우미에 문제가 생겼어요. 다시 해 주세요.",
    bad_ai_result: "주문 도우미의 답이 올바르지 않았어요. 다시 해 주세요.",
    shutting_down: "서버가 잠시 멈춰요. 곧 다시 연결할게요.",
    not_ready: "서버가 아직 준비 중이에요. 잠시 후 다시 해 주세요.",
    internal_error: "서버에 문제가 생겼어요. 다시 해 주세요.",
  },
  en: {
    network_error: "The server can't be reached. Please check the network.",
    http_error: "The request could not be handled.",
    validation_error: "Please check what you entered.",
    invalid_body: "The request was not valid.",
    invalid_json: "The request was not valid.",
    invalid_encoding: "The request was not valid text.",
    invalid_host: "The service can't be used at this address.",
    invalid_framing: "The request was malformed.",
    invalid_idempotency_key: "The key that tells requests apart was not valid.",
    method_not_allowed: "That request can't be made at this address.",
    request_entity_too_large: "What was sent is too large.",
    invalid_frame: "An invalid message was sent over the live connection.",
    unknown_type: "An unknown message was sent over the live connection.",
    frame_too_large: "A message sent over the live connection was too large.",
    unauthorized: "Please sign in again: the sign-in is missing or has expired.",
    forbidden: "You are not allowed to do that.",
    not_found: "Not found.",
    session_not_found: "The conversation expired. Please start again.",
    session_busy: "Still working on what you said before. Please try again in a moment.",
    session_completed: "That conversation has ended. Please start again.",
    session_forbidden: "That conversation is someone else's. Please start again.",
    session_not_confirmed: "The order must be confirmed before it is placed.",
    incomplete_order: "The order is not complete yet.",
    illegal_transition: "The order has already moved to another status.",
    conflict: "The order changed at the same moment. Please try again.",
    idempotency_conflict: "Another order was already placed with the same key.",
    rate_limited: "Too many requests. Please try again in a moment.",
    too_many_connections: "Too many windows are open. Please close another one.",
    audio_too_large: "The recording is too long. Please say it in shorter parts.",
    empty_audio: "Nothing was recorded. Please try again.",
    unsupported_media_type: "That kind of recording can't be handled.",
    bad_audio: "The recording could not be read. Please try again.",
    overloaded: "Many orders are coming in. Please try again in a moment.",
    ai_unavailable: "No speech assistant can listen right now.",
    too_many_streams: "Hands-free is already on in another window.",
    invalid_start: "Hands-free could not start. Please try again.",
    idle: "Hands-free went off: nothing was heard for a while.",
    closed: "The speech assistant stopped listening. Please turn hands-free on again.",
    bus_unavailable: "The order assistant can't be reached. Please try again in a moment.",
    database_unavailable: "Orders can't be saved right now. Please try again in a moment.",
    ai_timeout: "The order assistant did not answer in time. Please try again.",
    ai_error: "The order assistant had a problem. Please try again.",
    bad_ai_result: "The order assistant gave an invalid answer. Please try again.",
    shutting_down: "The server is restarting. The page will reconnect shortly.",
    not_ready: "The server is not ready yet. Please try again in a moment.",
    internal_error: "Something went wrong on the server. Please try again.",
  },
};

export const LANGUAGES = Object.keys(STRINGS);

// The service's one default language (domain/language.py), written into <html lang> by the server.
export const DEFAULT_LANGUAGE = document.documentElement.lang;

export function pickLanguage(stored) {
  if (LANGUAGES.includes(stored)) return stored;
  const browser = (navigator.language || "").slice(0, 2);
  return LANGUAGES.includes(browser) ? browser : DEFAULT_LANGUAGE;
}

export function t(lang, key) {
  return STRINGS[lang][key] ?? STRINGS[DEFAULT_LANGUAGE][key] ?? key;
}

// failure ({code, message}) in lang: the page's words for a known code, else the server's message.
export function errorText(lang, { code, message }) {
  return ERRORS[lang][code] ?? message ?? ERRORS[lang].http_error;
}

export const statusName = (lang, status) => STATUS[lang][status] ?? status;
export const stepName = (lang, status) => STEP[lang][status] ?? status;

export function money(lang, amount) {
  return new Intl.NumberFormat(lang === "ko" ? "ko-KR" : "en-US", {
    style: "currency",
    currency: "KRW",
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
