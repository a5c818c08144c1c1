/**
 * The page's Content-Security-Policy, for the deployed distribution's security-headers policy
 * and the local stack's front alike: the page loads only its own files and calls only its own
 * origin, where the API is served too (on AWS through the site's CloudFront distribution).
 */
export const SITE_CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Files of `site/` for development only (type-checking): never published, never served. */
export const SITE_DEVELOPMENT_ONLY_FILES: readonly string[] = ["tsconfig.json"];

/** The page a path the site does not have is answered with (status 404), in `site/`. */
export const SITE_NOT_FOUND_PAGE = "404.html";

/** What is answered with a 404 when the folder has no such page (a site under test, the diagram's empty one). */
export const FALLBACK_NOT_FOUND_HTML =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>Not found</title><h1>Not found</h1><p><a href="/">CloudQueue</a></p></html>';
