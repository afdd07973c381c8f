/**
 * The DOOM page: loads doom.polkavm and an IWAD (URLs from the query string `program` and
 * `wad`, default `doom.polkavm` and `freedoom1.wad` next to the page), runs DOOM on the
 * recompiler, draws each frame on the canvas, plays the sound with WebAudio once the page has
 * been clicked, and sends key presses to the guest. Ticks are paced by the audio the guest
 * has produced (as PolkaVM's own host does: tick while less than 32 ms is queued ahead of
 * the wall clock), so the game runs in real time.
 *
 * The body's data attributes report progress for tests: `data-state` (loading, running,
 * error), `data-frames` and `data-fps` (frames drawn in the last second).
 *
 * @module
 */
import { DOOM_KEYS, DoomHost } from "../doom_host.ts";

const SAMPLE_RATE = 44100;
const AHEAD_SECONDS = 0.032;

const canvas = document.getElementById("screen") as HTMLCanvasElement;
const status = document.getElementById("status")!;
const context = canvas.getContext("2d")!;
const body = document.body;

/** Browser key → DOOM key code. */
function doomKey(event: KeyboardEvent): number | undefined {
  switch (event.key) {
    case "ArrowRight":
      return DOOM_KEYS.right;
    case "ArrowLeft":
      return DOOM_KEYS.left;
    case "ArrowUp":
      return DOOM_KEYS.up;
    case "ArrowDown":
      return DOOM_KEYS.down;
    case "Control":
      return DOOM_KEYS.fire;
    case " ":
      return DOOM_KEYS.use;
    case "Escape":
      return DOOM_KEYS.escape;
    case "Enter":
      return DOOM_KEYS.enter;
    case "Tab":
      return DOOM_KEYS.tab;
    case "Shift":
      return DOOM_KEYS.rshift;
    case "Alt":
      return DOOM_KEYS.alt;
  }
  if (event.key.length === 1 && /[a-z0-9\-=]/i.test(event.key)) return event.key.toLowerCase().charCodeAt(0);
  return undefined;
}

let audio: AudioContext | undefined;
let audioAt = 0;

function playAudio(samples: Int16Array): void {
  if (!audio || audio.state !== "running") return;
  const frames = samples.length / 2;
  const buffer = audio.createBuffer(2, frames, SAMPLE_RATE);
  const left = buffer.getChannelData(0), right = buffer.getChannelData(1);
  for (let i = 0; i < frames; i++) {
    left[i] = samples[2 * i] / 32768;
    right[i] = samples[2 * i + 1] / 32768;
  }
  const source = audio.createBufferSource();
  source.buffer = buffer;
  source.connect(audio.destination);
  audioAt = Math.max(audioAt, audio.currentTime);
  source.start(audioAt);
  audioAt += frames / SAMPLE_RATE;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function start(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const [program, wad] = await Promise.all([
    fetchBytes(query.get("program") ?? "doom.polkavm"),
    fetchBytes(query.get("wad") ?? "freedoom1.wad"),
  ]);
  let image: ImageData | undefined;
  const drawn: number[] = [];
  const host = DoomHost.create(program, wad, {
    backend: "recompiler",
    onAudio: playAudio,
    onFrame: (rgba, width, height) => {
      if (!image || image.width !== width || image.height !== height) {
        image = new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), width, height);
      }
      context.putImageData(image, 0, 0);
      drawn.push(performance.now());
    },
  });
  const pressed = new Map<number, number>();
  const onKey = (down: boolean) => (event: KeyboardEvent) => {
    const code = doomKey(event);
    if (code === undefined) return;
    event.preventDefault();
    const before = pressed.get(code) ?? 0;
    if (down && event.repeat) return;
    const after = Math.max(0, before + (down ? 1 : -1));
    pressed.set(code, after);
    if ((before === 0) !== (after === 0)) host.key(code, after > 0);
  };
  addEventListener("keydown", onKey(true));
  addEventListener("keyup", onKey(false));
  canvas.addEventListener("click", () => {
    canvas.focus();
    audio ??= new AudioContext({ sampleRate: SAMPLE_RATE });
    void audio.resume();
  });

  const startedAt = performance.now();
  await host.prepare(); // browsers compile 8 MB of Wasm only asynchronously on the main thread
  host.initialize();
  body.dataset.state = "running";
  const clockStart = performance.now();
  let frames = 0;
  let firstFrameMs = 0;
  const loop = () => {
    try {
      // Tick while the guest's audio (its clock) is less than 32 ms ahead of the wall clock.
      const wall = (performance.now() - clockStart) / 1000;
      if (host.audioSamples / SAMPLE_RATE - wall < AHEAD_SECONDS) {
        host.tick();
        frames++;
        if (frames === 1) firstFrameMs = Math.round(performance.now() - startedAt);
      }
      const now = performance.now();
      while (drawn.length > 0 && drawn[0] < now - 1000) drawn.shift();
      body.dataset.frames = String(frames);
      body.dataset.fps = String(drawn.length);
      status.textContent = `${drawn.length} frames/s · ${frames} frames · first frame after ` +
        `${firstFrameMs} ms · ${Math.round(wall)} s`;
      setTimeout(loop, 0);
    } catch (error) {
      fail(error);
    }
  };
  loop();
}

function fail(error: unknown): void {
  body.dataset.state = "error";
  document.getElementById("error")!.textContent = error instanceof Error
    ? (error.stack ?? error.message)
    : String(error);
}

start().catch(fail);
