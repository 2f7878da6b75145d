// The notification socket (docs/contract.md §6) as an object with explicit states:
// "connecting", "connected", "disconnected" (will retry) and "closed" (will not).
// It reconnects with exponential backoff and jitter, resumes from the last event id,
// and calls onReplayIncomplete when the server could not replay what was missed.
const UNAUTHORIZED = 4401;
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 20000;

export class LiveConnection {
  // credentials: async () => ({user_id, user_type, token}), asked before each attempt.
  constructor({ credentials, onEvent, onState, onReplayIncomplete, onConnected }) {
    this.credentials = credentials;
    this.onEvent = onEvent;
    this.onState = onState ?? (() => {});
    this.onReplayIncomplete = onReplayIncomplete ?? (() => {});
    this.onConnected = onConnected ?? (() => {});
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
        this.#setState("connected");
        this.onConnected(frame);
        return;
      case "heartbeat":
        socket.send('{"type":"pong"}');
        return;
      case "pong":
      case "error":
        return;
      case "replay_incomplete":
        this.onReplayIncomplete();
        return;
      default:
        if (frame.id) this.lastEventId = frame.id;
        this.onEvent(frame);
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
