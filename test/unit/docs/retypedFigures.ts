import { handWritten } from "../../../bench/docRegions";

/**
 * Finds figures typed by hand that look like the benchmark's or the cost model's output, so a
 * retyped figure cannot creep back into the docs: it belongs in a generated region
 * (`bench/docRegions.ts`), whose content the docs test compares with what `bench/results.json` and
 * the cost model give now.
 *
 * The rule, and why it leaves AWS's own limits alone:
 * - Flagged: a number followed by `jobs/s`, `jobs a second`, `submits/s`, `%` or `ms`, a number
 *   followed directly by `/s` ("338.3/s"), and any dollar amount. These are the units the bench
 *   measures in (throughput, shares of a ceiling, latencies) and the cost model prices in.
 * - Not scanned: the units AWS states its quotas in (rps, WRU/s, RRU/s, concurrency, per minute,
 *   bytes, seconds). The estimates SCALING.md derives in those units are generated all the same, but
 *   a hand-typed quota such as "10 000 rps" or "1 000 write units/s" is AWS's, cited beside it.
 * - Not flagged: a dollar amount that is a list price per unit ("$0.50/GB", "$1.00 per million",
 *   "$0.0100 per 10 000"): AWS's prices, typed with their source. A dollar figure per job, per
 *   month or in total ("$8.63", "$10.3 per million jobs") is ours, and is flagged.
 * - Not flagged: the phrases of {@link NOT_BENCH_FIGURES}, each a setting or a test parameter that
 *   happens to be written in one of those units, with the reason it is not a measurement.
 * - Ignored: text inside generated regions, and URLs (a `%` of an encoded URL).
 */
export interface RetypedFigure {
  line: number;
  figure: string;
  context: string;
}

/** Hand-typed phrases that use a scanned unit without being a measurement or a cost. */
export const NOT_BENCH_FIGURES: readonly { text: string; why: string }[] = [
  { text: "10% transient faults", why: "the fault rate the reliability suite injects, a test parameter" },
  { text: "80 % actual, 100 % forecast", why: "the AWS Budget's alert thresholds, set in infra/operations.ts" },
];

const NUMBER = String.raw`\d{1,3}(?:[  ,]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`;
const MEASURED = new RegExp(String.raw`(?<![\w.])(?:${NUMBER})(?:\s?(?:jobs\/s|jobs a second|submits\/s|%|ms\b)|\/s\b)`, "g");
// The number is taken whole (no backtracking into it) before the unit-price check.
const DOLLARS = new RegExp(String.raw`\$\s?(?:${NUMBER})(?![\d.]|[  ,]\d)(?!\s?\/\s?GB|\s+per\s+(?:GB|million(?!\s+jobs)|10[  ,]?000|1[  ,]?000\b))`, "g");
const URL = /https?:\/\/\S+/g;

/** The figures of `markdown` typed outside its generated regions that look like bench or cost output. */
export function retypedFigures(markdown: string): RetypedFigure[] {
  let text = handWritten(markdown).replace(URL, (url) => " ".repeat(url.length));
  // Phrases match across a line break, as the docs wrap them; blanking keeps every offset.
  for (const { text: phrase } of NOT_BENCH_FIGURES) {
    const words = phrase.split(" ").map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    text = text.replace(new RegExp(words.join(String.raw`\s+`), "g"), (match) => match.replace(/[^\n]/g, " "));
  }
  const lines = markdown.split("\n");
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  // The whole text at once, so that "$1.00 per" at a line's end and "million" on the next still read as a unit price.
  return [MEASURED, DOLLARS]
    .flatMap((pattern) => [...text.matchAll(pattern)])
    .sort((a, b) => a.index - b.index)
    .map((match) => ({ line: lineOf(match.index), figure: match[0].trim(), context: lines[lineOf(match.index) - 1]!.trim() }));
}
