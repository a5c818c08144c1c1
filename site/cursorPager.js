// @ts-check
/**
 * Paging through `GET /jobs` by cursor. The API only goes forward (`nextCursor`), so "Previous"
 * is a stack of the cursors each page shown so far started from (the first page starts from
 * none). Pure: no DOM, no fetch.
 */
export class CursorPager {
  constructor() {
    /** @type {(string | undefined)[]} the cursor each page up to the current one started from */
    this.starts = [undefined];
    /** @type {string | undefined} where the page after the current one starts, while more may match */
    this.nextCursor = undefined;
  }

  /** 1 for the first page. */
  get pageNumber() {
    return this.starts.length;
  }

  /** The cursor the current page starts from (`undefined`: the first page). */
  get cursor() {
    return this.starts[this.starts.length - 1];
  }

  get hasPrevious() {
    return this.starts.length > 1;
  }

  get hasNext() {
    return this.nextCursor !== undefined;
  }

  /**
   * Records where the page after the current one starts, from the current page's answer.
   * @param {string | undefined} nextCursor
   */
  loaded(nextCursor) {
    this.nextCursor = nextCursor;
  }

  /** Moves to the next page; its start cursor. Throws on the last page. */
  forward() {
    if (this.nextCursor === undefined) throw new Error("there is no next page");
    this.starts.push(this.nextCursor);
    this.nextCursor = undefined;
    return this.cursor;
  }

  /** Moves to the previous page; its start cursor. Throws on the first page. */
  back() {
    if (!this.hasPrevious) throw new Error("there is no previous page");
    this.starts.pop();
    this.nextCursor = undefined;
    return this.cursor;
  }

  /** Back to the first page (new filters: the old cursors name the old ones). */
  reset() {
    this.starts = [undefined];
    this.nextCursor = undefined;
  }
}
