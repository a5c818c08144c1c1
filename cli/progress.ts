import { duration, type OutputStream } from "./output";

/** A live status line on a terminal: rewritten in place, with lines kept above it. */
export interface Progress {
  /** Replaces the live line's text. */
  update(text: string): void;
  /** Prints a line that stays (above the live line). */
  note(line: string): void;
  /** Clears the live line; nothing is written after. */
  stop(): void;
}

/** Spinner frames: ASCII, so that every terminal and font shows them. */
export const FRAMES = ["|", "/", "-", "\\"] as const;
/** How often the spinner and the elapsed time move. */
export const FRAME_MS = 120;

const CLEAR_LINE = "\r\x1b[2K";

/** Nothing at all: what a pipe or a file gets (its reader wants the result, not the animation). */
export const NO_PROGRESS: Progress = { update() {}, note() {}, stop() {} };

/** A live line on `stream` when it is a terminal, else {@link NO_PROGRESS}. */
export function progressOn(stream: OutputStream, options: { now?: () => number; animate?: boolean } = {}): Progress {
  return stream.isTTY ? new TerminalProgress(stream, options.now ?? Date.now, options.animate ?? true) : NO_PROGRESS;
}

/**
 * The live line: `<frame> <text>  <elapsed>`, cut to the terminal's width (a wrapped line could
 * not be rewritten in place with a carriage return). The timer is `unref`'d: a forgotten
 * progress never keeps the process alive.
 */
export class TerminalProgress implements Progress {
  private text = "";
  private frame = 0;
  private stopped = false;
  private readonly startedMs: number;
  private readonly timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly stream: OutputStream,
    private readonly now: () => number = Date.now,
    animate = true,
  ) {
    this.startedMs = now();
    this.timer = animate ? setInterval(() => this.tick(), FRAME_MS) : undefined;
    this.timer?.unref();
  }

  update(text: string): void {
    if (this.stopped) return;
    this.text = text;
    this.render();
  }

  note(line: string): void {
    if (this.stopped) return;
    this.stream.write(`${CLEAR_LINE}${line}\n`);
    this.render();
  }

  /** The next spinner frame (the timer calls it; tests call it to step). */
  tick(): void {
    if (this.stopped) return;
    this.frame = (this.frame + 1) % FRAMES.length;
    this.render();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.stream.write(CLEAR_LINE);
  }

  private render(): void {
    if (this.text === "") return;
    const line = `${FRAMES[this.frame]} ${this.text}  ${elapsed(this.now() - this.startedMs)}`;
    // One column short of the width: a line that fills the last column wraps on some terminals.
    const width = this.stream.columns ? this.stream.columns - 1 : undefined;
    this.stream.write(`${CLEAR_LINE}${width !== undefined && line.length > width ? line.slice(0, width) : line}`);
  }
}

/** Whole seconds under a minute (`0s`, `42s`), then {@link duration}'s `3m05s`. */
function elapsed(ms: number): string {
  return ms < 60_000 ? `${Math.floor(Math.max(0, ms) / 1_000)}s` : duration(ms);
}
