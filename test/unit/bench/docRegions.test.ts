import { expect } from "chai";
import { DocRegionError, fillRegions, findRegions, handWritten, staleRegions } from "../../../bench/docRegions";

const doc = ["# Title", "Peak <!-- bench:peak -->12 jobs/s<!-- /bench --> today.", "<!-- bench:table -->", "| old |", "<!-- /bench -->", "end"].join("\n");
const figures = { peak: "12.5 jobs/s", table: "| a |\n| b |" };

describe("bench/docRegions", () => {
  it("fills an inline region on its line and a block region between its marker lines", () => {
    const filled = fillRegions(doc, figures);

    expect(filled).to.equal(["# Title", "Peak <!-- bench:peak -->12.5 jobs/s<!-- /bench --> today.", "<!-- bench:table -->", "| a |", "| b |", "<!-- /bench -->", "end"].join("\n"));
  });

  it("fills an empty block region", () => {
    expect(fillRegions("<!-- bench:table -->\n<!-- /bench -->", figures)).to.equal("<!-- bench:table -->\n| a |\n| b |\n<!-- /bench -->");
  });

  it("leaves a filled document unchanged when it is filled again", () => {
    const filled = fillRegions(doc, figures);

    expect(fillRegions(filled, figures)).to.equal(filled);
    expect(staleRegions(filled, figures)).to.deep.equal([]);
  });

  it("names each stale region with its line", () => {
    expect(staleRegions(doc, figures).map(({ name, line }) => ({ name, line }))).to.deep.equal([
      { name: "peak", line: 2 },
      { name: "table", line: 3 },
    ]);
  });

  it("refuses a region no figure is named for, naming its line", () => {
    expect(() => fillRegions("a\nsee <!-- bench:nope -->x<!-- /bench -->", figures)).to.throw(DocRegionError, 'line 2: no figure is named "nope"');
  });

  it("refuses a region left open, a stray closing marker and a region inside another", () => {
    expect(() => findRegions("<!-- bench:peak -->12")).to.throw(DocRegionError, "never closed");
    expect(() => findRegions("x <!-- /bench -->")).to.throw(DocRegionError, "without an opening one");
    expect(() => findRegions("<!-- bench:table -->\nsee <!-- bench:peak -->1<!-- /bench -->\n<!-- /bench -->")).to.throw(DocRegionError, 'line 2: a region opens inside region "table"');
  });

  it("refuses a several-line figure in an inline region", () => {
    expect(() => fillRegions("see <!-- bench:table -->x<!-- /bench -->", figures)).to.throw(DocRegionError, "several lines");
  });

  it("refuses an inline region that opens its line, which Markdown would read as raw HTML", () => {
    expect(() => findRegions("text\n  <!-- bench:peak -->1<!-- /bench --> more")).to.throw(DocRegionError, "line 2: inline region \"peak\" opens its line");
  });

  it("blanks the generated text and keeps the hand-typed text and the line numbers", () => {
    const typed = handWritten(doc);

    expect(typed.split("\n")).to.have.length(doc.split("\n").length);
    expect(typed).to.contain(`Peak <!-- bench:peak -->${" ".repeat("12 jobs/s".length)}<!-- /bench --> today.`);
    expect(typed).not.to.contain("| old |");
  });
});
