/**
 * Generated regions in Markdown: a figure the docs quote sits between `<!-- bench:NAME -->` and
 * `<!-- /bench -->`, and is rewritten from the figure named NAME (`bench/docFigures.ts`). A region
 * whose opening marker ends its line is a block (the figure fills the lines between the markers);
 * otherwise it is inline (the figure sits between the markers on one line).
 */

const OPEN = /<!-- bench:([A-Za-z0-9_.-]+) -->/g;
const CLOSE = "<!-- /bench -->";

/** A malformed or unknown region. */
export class DocRegionError extends Error {
  constructor(
    message: string,
    /** 1-based line of the marker at fault. */
    public readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "DocRegionError";
  }
}

/** One region: the figure's name and where its content is (`text.slice(start, end)`). */
export interface DocRegion {
  name: string;
  block: boolean;
  /** 1-based line of the opening marker. */
  line: number;
  start: number;
  end: number;
}

/** Every region of `text`, in order. Throws {@link DocRegionError} on a marker left open, a stray close or a nested region. */
export function findRegions(text: string): DocRegion[] {
  const regions: DocRegion[] = [];
  let cursor = 0;
  for (const match of text.matchAll(OPEN)) {
    const open = match.index;
    const line = lineOf(text, open);
    const strayClose = text.indexOf(CLOSE, cursor);
    if (strayClose !== -1 && strayClose < open) throw new DocRegionError("a closing marker without an opening one", lineOf(text, strayClose));
    const afterOpen = open + match[0].length;
    const close = text.indexOf(CLOSE, afterOpen);
    if (close === -1) throw new DocRegionError(`region "${match[1]}" is never closed`, line);
    const inner = text.slice(afterOpen, close).search(/<!-- bench:[A-Za-z0-9_.-]+ -->/);
    if (inner !== -1) throw new DocRegionError(`a region opens inside region "${match[1]}"`, lineOf(text, afterOpen + inner));
    const block = text[afterOpen] === "\n";
    if (!block && text.slice(afterOpen, close).includes("\n")) throw new DocRegionError(`inline region "${match[1]}" must close on its own line`, line);
    // Markdown reads a line that opens with a comment as raw HTML, figure and all.
    if (!block && /^ {0,3}$/.test(text.slice(text.lastIndexOf("\n", open - 1) + 1, open))) {
      throw new DocRegionError(`inline region "${match[1]}" opens its line: Markdown would read the line as raw HTML; put text before it`, line);
    }
    if (block && (text[close - 1] !== "\n" || (text[close + CLOSE.length] !== undefined && text[close + CLOSE.length] !== "\n"))) {
      throw new DocRegionError(`block region "${match[1]}" must close on a line of its own`, lineOf(text, close));
    }
    regions.push({ name: match[1]!, block, line, start: block ? afterOpen + 1 : afterOpen, end: block ? close - 1 : close });
    cursor = close + CLOSE.length;
  }
  const strayClose = text.indexOf(CLOSE, cursor);
  if (strayClose !== -1) throw new DocRegionError("a closing marker without an opening one", lineOf(text, strayClose));
  return regions;
}

/** `text` with every region's content replaced by its figure. Throws {@link DocRegionError} for a name no figure has. */
export function fillRegions(text: string, figures: Readonly<Record<string, string>>): string {
  let out = "";
  let cursor = 0;
  for (const region of findRegions(text)) {
    const figure = figures[region.name];
    if (figure === undefined) throw new DocRegionError(`no figure is named "${region.name}" (bench/docFigures.ts lists them)`, region.line);
    if (!region.block && figure.includes("\n")) throw new DocRegionError(`figure "${region.name}" is several lines: open its region on a line of its own`, region.line);
    out += text.slice(cursor, region.start) + figure;
    cursor = region.end;
  }
  return out + text.slice(cursor);
}

/** The regions of `text` whose content is not what `figures` produce now. */
export function staleRegions(text: string, figures: Readonly<Record<string, string>>): { name: string; line: number; expected: string; actual: string }[] {
  return findRegions(text)
    .filter((region) => figures[region.name] !== text.slice(region.start, region.end))
    .map((region) => ({ name: region.name, line: region.line, expected: figures[region.name] ?? "(no such figure)", actual: text.slice(region.start, region.end) }));
}

/** `text` with each region's content blanked out (line breaks kept, so line numbers still match): what was typed by hand. */
export function handWritten(text: string): string {
  let out = "";
  let cursor = 0;
  for (const region of findRegions(text)) {
    out += text.slice(cursor, region.start) + text.slice(region.start, region.end).replace(/[^\n]/g, " ");
    cursor = region.end;
  }
  return out + text.slice(cursor);
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}
