// Hands-free talk: the microphone streamed to /api/voice/stream as 16 kHz PCM; the server
// hears where each utterance starts and stops, and answers it (docs/contract.md §7).
// States: "off", "listening" (ready, waiting for speech), "hearing" (speech going on),
// "thinking" (an utterance ended, its answer is on its way).
const WORKLET = "/static/js/pcm-worklet.js";
const REFUSED = new Set([1013, 4429, 4403, 4401, 4400]);

export class HandsFree {
  // handlers: onState(state), onPartial(text), onFinal(text), onReply(analysis),
  // onSpeechStarted(), onRefused(code, message), onError(frame), onReady(ready frame).
  constructor(handlers) {
    this.handlers = handlers;
    this.socket = null;
    this.audio = null;
    this.microphone = null;
    this.state = "off";
    this.ready = false; // the server took the stream: stop() asks it to finish, else hangs up
  }

  get available() {
    return Boolean(navigator.mediaDevices?.getUserMedia && window.AudioWorkletNode);
  }

  get on() {
    return this.state !== "off";
  }

  async start({ language, sessionId }) {
    if (this.on) return;
    if (!this.available) {
      this.handlers.onRefused("no_microphone", null);
      return;
    }
    this.#set("listening");
    try {
      this.microphone = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
      });
    } catch {
      this.stop();
      this.handlers.onRefused("no_microphone", null);
      return;
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/voice/stream`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    let lastError = null;
    socket.addEventListener("open", () => {
      const start = { type: "start", token: null, session_id: sessionId, language };
      socket.send(JSON.stringify({ ...start, sample_rate: 16000 }));
    });
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (this.socket !== socket) {
        this.#afterStop(frame);
        return;
      }
      if (frame.type === "error") lastError = frame;
      this.#receive(frame);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      const refused = REFUSED.has(event.code) || event.code === 1006;
      this.stop();
      if (refused) this.handlers.onRefused(lastError?.code ?? "closed", lastError?.message);
    });
  }

  // Stops listening. An utterance in progress is still finished by the server: its final
  // and reply reach the handlers, and nothing else of that socket does (#afterStop).
  stop() {
    const socket = this.socket;
    this.socket = null;
    if (socket?.readyState === WebSocket.OPEN && this.ready) socket.send('{"type": "stop"}');
    else socket?.close(); // not streaming yet: nothing to finish
    this.ready = false;
    for (const track of this.microphone?.getTracks() ?? []) track.stop();
    this.microphone = null;
    this.audio?.close();
    this.audio = null;
    this.handlers.onPartial("");
    this.#set("off");
  }

  // A frame of a socket stopped by stop() after ready (one stopped before is closed, and
  // says nothing more): the last utterance's words and answer are shown, but they change no
  // state (the toggle stays off).
  #afterStop(frame) {
    if (frame.type === "final" && frame.text.trim()) this.handlers.onFinal(frame.text);
    else if (frame.type === "reply") this.handlers.onReply(frame.analysis);
  }

  async #stream() {
    const audio = new AudioContext();
    this.audio = audio;
    await audio.audioWorklet.addModule(WORKLET);
    const source = audio.createMediaStreamSource(this.microphone);
    const pcm = new AudioWorkletNode(audio, "pcm-16k");
    pcm.port.onmessage = (event) => {
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(event.data);
    };
    source.connect(pcm);
  }

  #receive(frame) {
    switch (frame.type) {
      case "ready":
        this.ready = true;
        this.handlers.onReady(frame);
        this.#stream().catch(() => {
          this.stop();
          this.handlers.onRefused("no_microphone", null);
        });
        break;
      case "speech_started":
        this.handlers.onSpeechStarted();
        this.#set("hearing");
        break;
      case "partial":
        this.handlers.onPartial(frame.text);
        break;
      case "final":
        this.handlers.onPartial("");
        if (frame.text.trim()) {
          this.handlers.onFinal(frame.text);
          this.#set("thinking");
        } else {
          this.#set("listening");
        }
        break;
      case "reply":
        this.#set("listening");
        this.handlers.onReply(frame.analysis);
        break;
      case "error":
        if (this.state === "thinking") this.#set("listening");
        this.handlers.onError(frame);
        break;
    }
  }

  #set(state) {
    this.state = state;
    this.handlers.onState(state);
  }
}
