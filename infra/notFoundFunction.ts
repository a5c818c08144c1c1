import * as fs from "node:fs";
import * as path from "node:path";
import { FALLBACK_NOT_FOUND_HTML, SITE_NOT_FOUND_PAGE } from "../handlers/siteServing";
import { SITE_CONFIG_KEY } from "./siteContent";

/**
 * The code of a CloudFront Function (viewer request, `cloudfront-js-2.0`) on the site's bucket
 * behaviour: a request for a file the site has goes on to S3; any other path is answered at
 * once with `404` and the site's 404 page. Without it S3 answers an unknown key with its own
 * `403` XML (CloudFront may not list the bucket), and CloudFront's custom error responses cannot
 * turn that into a 404 page here: they apply to every behaviour, the API's answers included.
 * `paths` are the site's keys (`index.html`, `app.js`, ...); `/` is the default root object.
 */
export function notFoundFunctionCode(paths: readonly string[], siteDir: string): string {
  // config.json is written by the program, not a file of the folder: it is served all the same.
  paths = [...new Set([...paths, SITE_CONFIG_KEY])];
  const pageFile = path.join(siteDir, SITE_NOT_FOUND_PAGE);
  const page = fs.existsSync(pageFile) ? fs.readFileSync(pageFile, "utf8") : FALLBACK_NOT_FOUND_HTML;
  const known = Object.fromEntries(["/", ...paths.map((key) => `/${key}`)].map((uri) => [uri, true]));
  return [
    `var KNOWN = ${JSON.stringify(known)};`,
    `var PAGE = ${JSON.stringify(page)};`,
    "function handler(event) {",
    "  var request = event.request;",
    "  if (KNOWN[request.uri] === true) return request;",
    "  return {",
    "    statusCode: 404,",
    '    statusDescription: "Not Found",',
    '    headers: { "content-type": { value: "text/html; charset=utf-8" }, "cache-control": { value: "no-cache" } },',
    '    body: { encoding: "text", data: PAGE },',
    "  };",
    "}",
    "",
  ].join("\n");
}
