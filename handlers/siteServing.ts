/**
 * The page's Content-Security-Policy, for the deployed distribution's security-headers policy
 * and the local stack's front alike: the page loads only its own files and calls only its own
 * origin, where the API is served too (on AWS through the site's CloudFront distribution).
 */
export const SITE_CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Files of `site/` for development only (type-checking): never published, never served. */
export const SITE_DEVELOPMENT_ONLY_FILES: readonly string[] = ["tsconfig.json"];
