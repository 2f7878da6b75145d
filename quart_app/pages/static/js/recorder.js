// The talk button: hold it to talk, or click (or press Enter/Space) to start and again to stop.
// Each recording opens the microphone afresh and releases it when done.
const HOLD_MS = 400;

export class TalkButton {
  // onRecorded(blob) receives the recording; onState("listening" | "idle" | "unavailable").
  constructor(button, { onRecorded, onState }) {
    this.button = button;
    this.onRecorded = onRecorded;
    this.onState = onState;
    this.recorder = null;
    this.pressedAt = 0;
    this.mode = "idle"; // "idle" | "pressing" | "toggled"
    button.addEventListener("pointerdown", (event) => this.#press(event));
    button.addEventListener("pointerup", () => this.#release());
    button.addEventListener("click", (event) => {
      if (event.detail === 0) this.#toggle(); // keyboard: pointer events did not fire
    });
  }

  get available() {
    return Boolean(navigator.mediaDevices?.getUserMedia && window.MediaRecorder);
  }

  async #press(event) {
    if (event.button !== 0) return;
    if (this.mode === "toggled") {
      this.#stop();
      return;
    }
    if (this.mode !== "idle") return;
    // A finger that slides off the button still ends the hold on release.
    this.button.setPointerCapture(event.pointerId);
    this.mode = "pressing";
    this.pressedAt = performance.now();
    await this.#start();
  }

  #release() {
    if (this.mode !== "pressing") return;
    if (performance.now() - this.pressedAt >= HOLD_MS) this.#stop();
    else this.mode = "toggled";
  }

  async #toggle() {
    if (this.mode === "idle") {
      this.mode = "toggled";
      await this.#start();
    } else {
      this.#stop();
    }
  }

  async #start() {
    if (!this.available) {
      this.mode = "idle";
      this.onState("unavailable");
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      this.mode = "idle";
      this.onState("unavailable");
      return;
    }
    if (this.mode === "idle") {
      // Stopped before the microphone opened: nothing to record.
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    const chunks = [];
    const recorder = new MediaRecorder(stream);
    recorder.addEventListener("dataavailable", (event) => chunks.push(event.data));
    recorder.addEventListener("stop", () => {
      for (const track of stream.getTracks()) track.stop();
      const type = recorder.mimeType || "audio/webm";
      if (chunks.length) this.onRecorded(new Blob(chunks, { type }));
    });
    this.recorder = recorder;
    recorder.start();
    this.button.setAttribute("aria-pressed", "true");
    this.onState("listening");
  }

  #stop() {
    this.mode = "idle";
    this.button.setAttribute("aria-pressed", "false");
    const recorder = this.recorder;
    this.recorder = null;
    if (recorder && recorder.state !== "inactive") recorder.stop();
    this.onState("idle");
  }
}

export function extensionOf(mimeType) {
  if (mimeType.includes("ogg")) return "ogg";
  if (mimeType.includes("mp4")) return "mp4";
  return "webm";
}
