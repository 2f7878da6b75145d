// An AudioWorklet that turns the microphone into 16 kHz 16-bit PCM, posted in 20 ms frames
// (640 bytes) to the page. It averages the input samples falling into each output sample:
// a box filter, enough against aliasing for speech heard by a recogniser.
/* global AudioWorkletProcessor, sampleRate, registerProcessor */
const RATE = 16000;
const FRAME = 320; // samples: 20 ms

class PcmProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / RATE; // input samples per output sample
    this.position = 0; // where the next output sample starts, in input samples
    this.sum = 0;
    this.count = 0;
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i += 1) {
      this.sum += channel[i];
      this.count += 1;
      this.position += 1;
      if (this.position >= this.step) {
        this.position -= this.step;
        const sample = Math.max(-1, Math.min(1, this.sum / this.count));
        this.frame[this.filled] = Math.round(sample * 32767);
        this.filled += 1;
        this.sum = 0;
        this.count = 0;
        if (this.filled === FRAME) {
          this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
          this.frame = new Int16Array(FRAME);
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor("pcm-16k", PcmProcessor);
