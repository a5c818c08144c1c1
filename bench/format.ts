/**
 * How the docs write numbers: thousands grouped with a space ("12 500"), shares as "74 %", dollars
 * as "$1 104.49", volumes as "10 M" and "1 B".
 */

/** `value` with at most `digits` decimals (trailing zeros dropped), thousands grouped with spaces. */
export function num(value: number, digits = 0): string {
  const [whole, fraction] = value.toFixed(digits).split(".");
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  const trimmed = fraction?.replace(/0+$/, "");
  return trimmed ? `${grouped}.${trimmed}` : grouped;
}

/** A share as a whole percentage, with one decimal below 10 % ("0.5 %", "94 %", "1 000 %"). */
export function pct(share: number): string {
  const percent = share * 100;
  return `${num(percent, percent < 10 && percent !== Math.round(percent) ? 1 : 0)} %`;
}

/** Dollars with cents ("$8.63", "$1 104.49"), or whole dollars with `digits` 0. */
export function usd(value: number, digits = 2): string {
  const [whole, cents] = value.toFixed(digits).split(".");
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  return cents === undefined ? `$${grouped}` : `$${grouped}.${cents}`;
}

/** A monthly volume: "1 M", "10 M", "1 B". */
export function volume(value: number): string {
  return value >= 1e9 ? `${num(value / 1e9, 1)} B` : value >= 1e6 ? `${num(value / 1e6, 1)} M` : value >= 1e3 ? `${num(value / 1e3, 1)} k` : num(value);
}

/** An estimate in a table: a whole number from 10, one decimal below ("0.8", "2.3", "23", "1 500"). */
export function approx(value: number): string {
  return value >= 10 ? num(Math.round(value)) : num(value, 1);
}

/** A figure quoted with "about" or "≈": two significant digits ("280", "5 600", "9.6"). */
export function about(value: number): string {
  return value >= 10 ? num(Number(value.toPrecision(2))) : num(value, 1);
}
