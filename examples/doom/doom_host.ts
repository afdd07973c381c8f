/**
 * A DOOM host for PolkaVM's `doom.polkavm` (koute/polkadoom, 32-bit ISA): it binds the five
 * imports the guest needs (video, audio, WAD size and reads, console output), drives the
 * exports `ext_initialize`, `ext_tick` and `ext_on_keychange`, and keeps the last frame as
 * RGBA pixels. No Node modules: the same host runs headless (headless.ts) and in the browser.
 *
 * @module
 */
import { type Backend, Module, PolkaVmInstance } from "../../mod.ts";

/** DOOM's key codes for the keys a player needs (see /work/shared/spec/doom-host.md §3). */
export const DOOM_KEYS = {
  right: 0xae,
  left: 0xac,
  up: 0xad,
  down: 0xaf,
  use: 0xa2,
  fire: 0xa3,
  escape: 27,
  enter: 13,
  tab: 9,
  rshift: 0x80 + 0x36,
  rctrl: 0x80 + 0x1d,
  alt: 0x80 + 0x38,
} as const;

/** Options for {@link DoomHost.create}. */
export interface DoomHostOptions {
  /** Execution backend (default `recompiler`). */
  backend?: Backend;
  /** Called with each chunk of audio: interleaved stereo signed 16-bit samples at 44.1 kHz (a view, valid during the call). */
  onAudio?: (samples: Int16Array) => void;
  /** Called with each finished frame (RGBA, a view the next frame overwrites). */
  onFrame?: (rgba: Uint8Array, width: number, height: number) => void;
  /** Console output of the guest (default: dropped). */
  onStdout?: (text: string) => void;
}

/** The DOOM guest with its host functions. */
export class DoomHost {
  /** The guest, with the imports bound. */
  readonly vm: PolkaVmInstance;
  /** Frame width and height of the last frame. */
  width = 0;
  height = 0;
  /** The last frame as RGBA bytes (alpha forced to 255). */
  rgba: Uint8Array = new Uint8Array(0);
  /** Frames received so far. */
  frames = 0;
  /** Stereo audio frames received so far. */
  audioSamples = 0;
  private readonly options: DoomHostOptions;
  private readonly decoder = new TextDecoder();

  private constructor(module: Module, private readonly wad: Uint8Array, options: DoomHostOptions) {
    this.options = options;
    this.vm = PolkaVmInstance.create(module, {
      backend: options.backend ?? "recompiler",
      pageSize: 0x4000, // as PolkaVM's DOOM host
      imports: {
        ext_output_video: (call) => this.video(call.u32(0), call.u32(1), call.u32(2)),
        ext_output_audio: (call) => this.audio(call.u32(0), call.u32(1)),
        ext_rom_size: () => this.wad.length,
        ext_rom_read: (call) => this.romRead(call.u32(0), call.u32(1), call.u32(2)),
        ext_stdout: (call) => this.stdout(call.u32(0), call.u32(1)),
      },
    });
  }

  /** Load the program and the IWAD (e.g. freedoom1.wad). */
  static create(program: Uint8Array | Module, wad: Uint8Array, options: DoomHostOptions = {}): DoomHost {
    const module = program instanceof Module ? program : Module.load(program);
    return new DoomHost(module, wad, options);
  }

  /**
   * Compile and instantiate the guest's Wasm asynchronously ahead of the first call.
   * Browsers refuse to compile a module this large (8 MB of Wasm) synchronously on the main
   * thread, so a page awaits this before {@link initialize}; elsewhere it is optional.
   */
  async prepare(): Promise<void> {
    await this.vm.instance.prepare();
  }

  /** Run DOOM's start-up (once). */
  initialize(): void {
    this.vm.call("ext_initialize");
  }

  /** One frame: game logic for the tics due on the guest's virtual clock, render, sound. */
  tick(): void {
    this.vm.call("ext_tick");
  }

  /** Report a key going down or up (DOOM key code, see {@link DOOM_KEYS}; letters are lowercase ASCII). */
  key(code: number, pressed: boolean): void {
    this.vm.call("ext_on_keychange", [code & 0xff, pressed ? 1 : 0]);
  }

  private video(address: number, width: number, height: number): void {
    const bytes = width * height * 4;
    if (width > 4096 || height > 4096) throw new RangeError(`frame of ${width}×${height} is too large`);
    if (this.rgba.length !== bytes) this.rgba = new Uint8Array(bytes);
    this.width = width;
    this.height = height;
    const memory = this.vm.instance.memory;
    const bad = memory.check(address, bytes, false);
    if (bad >= 0) throw new RangeError(`frame at 0x${address.toString(16)} is not readable at 0x${bad.toString(16)}`);
    const start = memory.wasmAddress(address);
    const out = new Uint32Array(this.rgba.buffer);
    if (start % 4 === 0 && start + bytes <= memory.u8.length) {
      // Pixels are little-endian 0xAARRGGBB; RGBA bytes read as a little-endian u32 are 0xAABBGGRR.
      const src = new Uint32Array(memory.u8.buffer, start, width * height);
      for (let i = 0; i < src.length; i++) {
        const p = src[i];
        out[i] = 0xff000000 | ((p & 0xff) << 16) | (p & 0xff00) | ((p >>> 16) & 0xff);
      }
    } else {
      const src = memory.read(address, bytes);
      for (let i = 0; i < bytes; i += 4) {
        this.rgba[i] = src[i + 2];
        this.rgba[i + 1] = src[i + 1];
        this.rgba[i + 2] = src[i];
        this.rgba[i + 3] = 255;
      }
    }
    this.frames++;
    this.options.onFrame?.(this.rgba, width, height);
  }

  private audio(address: number, samples: number): void {
    this.audioSamples += samples;
    if (!this.options.onAudio) return;
    const bytes = this.vm.instance.memory.read(address, samples * 4);
    this.options.onAudio(new Int16Array(bytes.buffer, 0, samples * 2));
  }

  private romRead(address: number, offset: number, length: number): void {
    if (offset + length > this.wad.length) {
      throw new RangeError(`WAD read [${offset}, ${offset + length}) past its end (${this.wad.length} bytes)`);
    }
    this.vm.instance.memory.write(address, this.wad.subarray(offset, offset + length));
  }

  private stdout(address: number, length: number): number {
    if (length === 0) return 0;
    const text = this.decoder.decode(this.vm.instance.memory.read(address, length));
    this.options.onStdout?.(text);
    return length;
  }
}
