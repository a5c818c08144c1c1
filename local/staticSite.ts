import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { FALLBACK_NOT_FOUND_HTML, SITE_CONTENT_SECURITY_POLICY, SITE_DEVELOPMENT_ONLY_FILES, SITE_NOT_FOUND_PAGE } from "../handlers/siteServing";
import type { FrontResponse } from "./apiGatewayEvent";

/** The folder the page is served from: `site/` at the repository root. */
export const SITE_DIR = resolve(__dirname, "..", "site");

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Headers like those of the deployed CloudFront distribution's security-headers policy; the
 * CSP keeps the page to its own files and its API.
 */
export function securityHeaders(): Record<string, string> {
  return {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "content-security-policy": SITE_CONTENT_SECURITY_POLICY,
  };
}

/**
 * The file of `site/` a URL path names (`/` is `index.html`), or `undefined` when there is none.
 * Paths that climb out of the folder (`..`, encoded or not) name nothing.
 */
export async function readSiteFile(urlPath: string, siteDir: string = SITE_DIR): Promise<FrontResponse | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const relative = decoded.endsWith("/") ? `${decoded}index.html` : decoded;
  const file = resolve(join(siteDir, relative));
  if (!file.startsWith(siteDir + sep)) return undefined;
  // As deployed: development-only files are not published.
  if (SITE_DEVELOPMENT_ONLY_FILES.includes(file.slice(siteDir.length + 1).split(sep).join("/"))) return undefined;
  const contentType = CONTENT_TYPES[extname(file).toLowerCase()];
  if (!contentType) return undefined;
  try {
    if (!(await stat(file)).isFile()) return undefined;
    const body = await readFile(file);
    // no-cache: the page always asks, so an edit to site/ shows on the next reload.
    return { statusCode: 200, headers: { "content-type": contentType, "cache-control": "no-cache", ...securityHeaders() }, body };
  } catch {
    return undefined;
  }
}

/** The site's 404 page (`site/404.html`) with status 404, as the deployed distribution answers a path the site does not have. */
export async function notFoundPage(siteDir: string = SITE_DIR): Promise<FrontResponse> {
  const page = await readSiteFile(`/${SITE_NOT_FOUND_PAGE}`, siteDir);
  const body = page?.body ?? Buffer.from(FALLBACK_NOT_FOUND_HTML);
  return { statusCode: 404, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache", ...securityHeaders() }, body };
}
