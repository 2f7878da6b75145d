// The notification socket (docs/contract.md §6) as an object with explicit states:
// "connecting", "connected", "disconnected" (will retry) and "closed" (will not).
// It reconnects with exponential backoff and jitter and resumes from its position: the
// greatest event id among the `connected` frame's `last_event_id` and the notifications
// received since (docs/contract.md §6.4), so it has a position even when no notification ever
// reached it. onReplayIncomplete is called when the server could not replay what was missed.
const UNAUTHORIZED = 4401;
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 20000;

export class LiveConnection {
  // credentials: async () => ({user_id, user_type, token}), asked before each attempt;
  // onError(frame) gets the server's error frames ({code, message}).
  constructor({ credentials, onEvent, onState, onReplayIncomplete, onConnected, onError }) {
    this.credentials = credentials;
    this.onEvent = onEvent;
    this.onState = onState ?? (() => {});
    this.onReplayIncomplete = onReplayIncomplete ?? (() => {});
    this.onConnected = onConnected ?? (() => {});
    this.onError = onError ?? (() => {});
    this.lastEventId = null;
    this.state = "closed";
    this.attempts = 0;
    this.socket = null;
    this.timer = null;
  }

  start() {
    this.stop();
    this.lastEventId = null;
    this.#connect();
  }

  stop() {
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close(1000, "bye");
    this.#setState("closed");
  }

  #setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  async #connect() {
    this.#setState("connecting");
    let auth;
    try {
      auth = await this.credentials();
    } catch {
      this.#retry();
      return;
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/ws`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "auth", ...auth, last_event_id: this.lastEventId }));
    });
    socket.addEventListener("message", (message) => this.#receive(socket, message.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return; // stopped or replaced on purpose
      this.socket = null;
      if (event.code === UNAUTHORIZED) this.#setState("closed");
      else this.#retry();
    });
  }

  #receive(socket, text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    switch (frame.type) {
      case "connected":
        this.attempts = 0;
        this.#advance(frame.last_event_id);
        this.#setState("connected");
        this.onConnected(frame);
        return;
      case "heartbeat":
        socket.send('{"type":"pong"}');
        return;
      case "pong":
      case "token_refreshed":
        return;
      case "error":
        this.onError(frame);
        return;
      case "replay_incomplete":
        this.onReplayIncomplete();
        return;
      default:
        this.#advance(frame.id);
        this.onEvent(frame);
    }
  }

  // A replay may bring ids older than the position `connected` gave: the greatest one stands.
  #advance(eventId) {
    if (eventId && (this.lastEventId === null || compareIds(eventId, this.lastEventId) > 0)) {
      this.lastEventId = eventId;
    }
  }

  #retry() {
    this.#setState("disconnected");
    const ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempts);
    this.attempts += 1;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.timer = setTimeout(() => this.#connect(), delay);
  }
}

// Event ids are "<ms>-<seq>", compared as numbers part by part: negative, zero or positive.
function compareIds(a, b) {
  const [aMs, aSeq] = a.split("-").map(Number);
  const [bMs, bSeq] = b.split("-").map(Number);
  return aMs - bMs || aSeq - bSeq;
}
