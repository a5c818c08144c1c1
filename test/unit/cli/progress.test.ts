import { expect } from "chai";
import { FRAMES, NO_PROGRESS, progressOn, TerminalProgress } from "../../../cli/progress";
import { FakeStream } from "./fakes";

const CLEAR = "\r\x1b[2K";

describe("cli/progress", () => {
  it("writes nothing at all when the stream is not a terminal", () => {
    const stream = new FakeStream(false);
    const progress = progressOn(stream);
    progress.update("waiting");
    progress.note("QUEUED");
    progress.stop();
    expect(progress).to.equal(NO_PROGRESS);
    expect(stream.text).to.equal("");
  });

  it("rewrites one line in place on a terminal: frame, text, elapsed seconds", () => {
    const stream = new FakeStream(true, 80);
    let now = 1_000;
    const progress = new TerminalProgress(stream, () => now, false);
    progress.update("waiting for j1: Queued");
    now = 5_600;
    progress.update("waiting for j1: In progress");
    progress.tick();
    expect(stream.text).to.equal(`${CLEAR}${FRAMES[0]} waiting for j1: Queued  0s${CLEAR}${FRAMES[0]} waiting for j1: In progress  4s${CLEAR}${FRAMES[1]} waiting for j1: In progress  4s`);
    progress.stop();
  });

  it("keeps a note as a line of its own above the live line", () => {
    const stream = new FakeStream(true, 80);
    const progress = new TerminalProgress(stream, () => 0, false);
    progress.update("bulk: 100 examined");
    stream.text = "";
    progress.note("   0.3s  In progress");
    expect(stream.text).to.equal(`${CLEAR}   0.3s  In progress\n${CLEAR}${FRAMES[0]} bulk: 100 examined  0s`);
    progress.stop();
  });

  it("cuts the live line one column short of the terminal's width, so that it never wraps", () => {
    const stream = new FakeStream(true, 20);
    const progress = new TerminalProgress(stream, () => 0, false);
    progress.update("a very long status line that would wrap");
    const line = stream.text.slice(CLEAR.length);
    expect(line).to.have.length(19);
    expect(line).to.equal(`${FRAMES[0]} a very long statu`);
    progress.stop();
  });

  it("clears the line when stopped and writes nothing after", () => {
    const stream = new FakeStream(true, 80);
    const progress = new TerminalProgress(stream, () => 0, false);
    progress.update("working");
    progress.stop();
    const written = stream.text;
    progress.update("late");
    progress.note("late");
    progress.tick();
    progress.stop();
    expect(written.endsWith(CLEAR)).to.equal(true);
    expect(stream.text).to.equal(written);
  });

  it("moves the spinner by itself while animated, and stops moving once stopped", async () => {
    const stream = new FakeStream(true, 80);
    const progress = new TerminalProgress(stream, () => 0, true);
    progress.update("waiting");
    await new Promise((resolve) => setTimeout(resolve, 300));
    progress.stop();
    const frames = stream.text.split(CLEAR).filter((line) => line !== "").map((line) => line[0]);
    expect(new Set(frames).size).to.be.greaterThan(1);
    const written = stream.text;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stream.text).to.equal(written);
  });
});
