// The kiosk: a guest's conversation by voice or text, ending in a placed order followed live.
import { call, get, post } from "./api.js";
import { DEFAULT_LANGUAGE, t } from "./i18n.js";
import { LiveConnection } from "./live.js";
import { phrases, renderMenu } from "./menu.js";
import { renderDraft, showStatus } from "./order-view.js";
import { HandsFree } from "./hands-free.js";
import { $, languagePicker, showError } from "./page.js";
import { extensionOf, TalkButton } from "./recorder.js";

const state = {
  lang: DEFAULT_LANGUAGE, // the picker's (set in main)
  catalog: null,
  sessionId: null,
  last: null, // the latest analyze answer
  order: null, // {id, status, token} once placed
  cake: null, // {image_id, image_path} of the latest picture
  busy: false,
};
const live = new LiveConnection({
  credentials: async () => ({
    user_id: state.order.follower,
    user_type: "customer",
    token: state.order.token,
  }),
  onEvent: (frame) => {
    if (frame.type === "order.status_changed" && frame.data.order_id === state.order?.id) {
      setStatus(frame.data.status);
    }
  },
  onConnected: () => refreshOrder(),
  onReplayIncomplete: () => refreshOrder(),
  onError: showError,
});

function addMessage(role, text) {
  const item = document.createElement("li");
  item.className = `message ${role}`;
  item.textContent = text;
  $("messages").append(item);
  item.scrollIntoView({ block: "nearest" });
}

function speak(text) {
  if (!$("speak-replies").checked || !("speechSynthesis" in window)) return;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = state.lang === "ko" ? "ko-KR" : "en-US";
  speechSynthesis.cancel();
  speechSynthesis.speak(utterance);
}

function setBusy(busy) {
  state.busy = busy;
  for (const id of ["utterance", "confirm", "cancel"]) $(id).disabled = busy;
  document.querySelector('[data-testid="send"]').disabled = busy;
  for (const button of document.querySelectorAll(".menu-card button")) button.disabled = busy;
}

function render() {
  if (state.catalog) renderMenu($("menu"), state.catalog, state.lang, say);
  const draft = state.last?.order_state;
  const picture = draft?.image_id === state.cake?.image_id ? state.cake?.image_path : null;
  renderDraft($("order-summary"), state.catalog, state.lang, draft, picture);
  $("confirm-actions").hidden = state.last?.state !== "confirmation";
  if (state.order) showStatus($("order-status"), state.lang, state.order.status);
  setBusy(state.busy);
}

async function say(text) {
  text = text.trim();
  if (!text || state.busy) return;
  showError(null);
  addMessage("user", text);
  setBusy(true);
  try {
    let answer;
    try {
      answer = await analyze(text);
    } catch (error) {
      if (error.code !== "session_not_found") throw error;
      state.sessionId = null; // the conversation expired: carry on in a new one
      answer = await analyze(text);
    }
    await showAnswer(answer);
  } catch (error) {
    showError(error);
  } finally {
    setBusy(false);
    render();
  }
}

async function showAnswer(answer) {
  state.last = answer;
  state.sessionId = answer.state === "completed" ? null : answer.session_id;
  addMessage("assistant", answer.response);
  $("assistant-reply").textContent = answer.response;
  speak(answer.response);
  if (answer.order_id) await placed(answer.order_id, answer.session_id);
}

// Hands-free: the server hears each utterance and answers it in this conversation.
const handsFree = new HandsFree({
  onState: (listening) => {
    $("listening").dataset.state = listening;
    $("listening").textContent = t(state.lang, `kiosk.state_${listening}`);
    $("hands-free").setAttribute("aria-pressed", String(listening !== "off"));
  },
  onReady: (ready) => {
    state.sessionId = ready.session_id;
  },
  onSpeechStarted: () => {
    if ("speechSynthesis" in window) speechSynthesis.cancel(); // the customer talks over it
  },
  onPartial: (text) => {
    $("partial").textContent = text;
  },
  onFinal: (text) => addMessage("user", text),
  onReply: (answer) => {
    showAnswer(answer).catch(showError).finally(render);
    if (answer.state === "completed") handsFree.stop(); // the next customer starts afresh
  },
  onError: showError,
  // No AI Server for streams, too many of them, no microphone: push-to-talk still works.
  onRefused: () => {
    $("talk-state").textContent = t(state.lang, "kiosk.hands_free_refused");
  },
});

function toggleHandsFree() {
  if (handsFree.on) {
    handsFree.stop();
    return;
  }
  showError(null);
  handsFree.start({ language: state.lang, sessionId: state.sessionId });
}

function analyze(transcript) {
  return post("/api/voice/analyze", { transcript, user_id: null, session_id: state.sessionId });
}

async function placed(orderId, sessionId) {
  const follow = await post(`/api/orders/${orderId}/follow-token`, { session_id: sessionId });
  state.order = { id: orderId, status: "pending", token: follow.token, follower: follow.user_id };
  $("order-id").textContent = orderId;
  $("placed").hidden = false;
  setStatus("pending");
  live.start();
}

function setStatus(status) {
  state.order.status = status;
  showStatus($("order-status"), state.lang, status);
}

async function refreshOrder() {
  if (!state.order) return;
  try {
    const order = await get(`/api/orders/${state.order.id}`, { token: state.order.token });
    setStatus(order.status);
  } catch (error) {
    showError(error);
  }
}

async function transcribe(blob) {
  $("talk-state").textContent = t(state.lang, "kiosk.transcribing");
  const form = new FormData();
  form.append("audio", blob, `speech.${extensionOf(blob.type)}`);
  form.append("language", state.lang);
  if (state.sessionId) form.append("session_id", state.sessionId);
  try {
    const { text } = await call("POST", "/api/voice/stt", { form });
    $("talk-state").textContent = "";
    if (text.trim()) await say(text);
    else $("talk-state").textContent = t(state.lang, "kiosk.heard_nothing");
  } catch (error) {
    $("talk-state").textContent = "";
    showError(error);
  }
}

async function drawCake(prompt) {
  const button = $("cake-draw");
  button.disabled = true;
  $("cake-caption").textContent = t(state.lang, "kiosk.cake_drawing");
  $("cake-figure").hidden = false;
  try {
    const attach = state.sessionId && !state.order ? { session_id: state.sessionId } : {};
    const image = await post("/api/customizations/generate-ai-image", {
      prompt,
      aspect_ratio: "1:1",
      ...attach,
    });
    state.cake = image;
    if (attach.session_id && state.last) state.last.order_state.image_id = image.image_id;
    render();
    $("cake-image").src = image.image_path;
    $("cake-image").alt = prompt;
    $("cake-caption").textContent = attach.session_id
      ? `${prompt} (${t(state.lang, "kiosk.cake_attached")})`
      : prompt;
  } catch (error) {
    $("cake-caption").textContent = "";
    showError(error);
  } finally {
    button.disabled = false;
  }
}

function restart() {
  live.stop();
  handsFree.stop();
  Object.assign(state, { sessionId: null, last: null, order: null, cake: null });
  $("messages").replaceChildren();
  $("assistant-reply").textContent = "";
  $("placed").hidden = true;
  $("cake-figure").hidden = true;
  showError(null);
  render();
}

function wire() {
  $("say").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("utterance");
    const text = input.value;
    input.value = "";
    say(text);
  });
  $("cake").addEventListener("submit", (event) => {
    event.preventDefault();
    drawCake($("cake-prompt").value.trim());
  });
  $("confirm").addEventListener("click", () => say(phrases(state.lang).confirm));
  $("cancel").addEventListener("click", () => say(phrases(state.lang).cancel));
  $("restart").addEventListener("click", restart);
  $("hands-free").addEventListener("click", toggleHandsFree);
  new TalkButton(document.querySelector('[data-testid="talk"]'), {
    onRecorded: transcribe,
    onState: (talk) => {
      const messages = { listening: "kiosk.listening", unavailable: "kiosk.no_mic" };
      $("talk-state").textContent = messages[talk] ? t(state.lang, messages[talk]) : "";
    },
  });
}

async function main() {
  state.lang = languagePicker("kiosk.lang", (lang) => {
    state.lang = lang;
    render();
  });
  wire();
  render();
  try {
    state.catalog = await get("/api/menus");
  } catch (error) {
    showError(error);
  }
  render();
}

main();
