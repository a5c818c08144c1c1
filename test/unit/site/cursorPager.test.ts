import { expect } from "chai";
import { CursorPager } from "../../../site/cursorPager.js";

describe("site CursorPager", () => {
  it("starts on page 1 with no cursor, no previous and no next", () => {
    const pager = new CursorPager();

    expect(pager.pageNumber).to.equal(1);
    expect(pager.cursor).to.equal(undefined);
    expect(pager.hasPrevious).to.equal(false);
    expect(pager.hasNext).to.equal(false);
  });

  it("goes forward by the last answer's nextCursor and back through the cursors it came by", () => {
    const pager = new CursorPager();
    pager.loaded("c2");

    expect(pager.forward()).to.equal("c2");
    pager.loaded("c3");
    expect(pager.forward()).to.equal("c3");
    pager.loaded(undefined);

    expect(pager.pageNumber).to.equal(3);
    expect(pager.hasNext).to.equal(false);
    expect(pager.back()).to.equal("c2");
    expect(pager.pageNumber).to.equal(2);
    expect(pager.back()).to.equal(undefined);
    expect(pager.hasPrevious).to.equal(false);
  });

  it("forgets the next cursor on every move, until the page moved to is loaded", () => {
    const pager = new CursorPager();
    pager.loaded("c2");
    pager.forward();

    expect(pager.hasNext, "after forward").to.equal(false);
    pager.loaded("c3");
    pager.back();
    expect(pager.hasNext, "after back").to.equal(false);
  });

  it("refuses to go past either end", () => {
    const pager = new CursorPager();

    expect(() => pager.back()).to.throw(/no previous page/);
    expect(() => pager.forward()).to.throw(/no next page/);
  });

  it("resets to the first page (new filters)", () => {
    const pager = new CursorPager();
    pager.loaded("c2");
    pager.forward();
    pager.loaded("c3");

    pager.reset();

    expect(pager.pageNumber).to.equal(1);
    expect(pager.cursor).to.equal(undefined);
    expect(pager.hasNext).to.equal(false);
  });
});
