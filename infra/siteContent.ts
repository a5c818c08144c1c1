import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AuthMode } from "../handlers/auth/authMode";
import { SITE_DEVELOPMENT_ONLY_FILES } from "../handlers/siteServing";

/** Content types of the files a static site holds; anything else is served as bytes. */
const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
};

/** The content type a file is served with. */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}

/** The key of the file that tells the page where the API is and how it admits callers. */
export const SITE_CONFIG_KEY = "config.json";

/** Every file under `dir` that the site serves, as keys relative to it with `/` separators, sorted. */
export function siteFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const walk = (relative: string): string[] =>
    fs.readdirSync(path.join(dir, relative), { withFileTypes: true }).flatMap((entry) => {
      const key = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) return walk(key);
      return entry.isFile() && !SITE_DEVELOPMENT_ONLY_FILES.includes(key) ? [key] : [];
    });
  return walk("").sort();
}

export interface SiteContentArgs {
  bucket: aws.s3.Bucket;
  /** The folder published, read when the program runs (`site/`). */
  siteDir: string;
  /** Written into `config.json` for the page: the API's base URL, absolute or relative to the page's origin. */
  apiUrl: pulumi.Input<string>;
  /** Written into `config.json` as `auth`: the stack's `authMode` (the page asks for a token in `jwt` mode). */
  auth: AuthMode;
}

/**
 * The site's files in the bucket, each with its content type, plus a generated `config.json`
 * carrying `apiUrl` and `auth` (a file of that name in the folder is replaced). Every file is
 * revalidated on every load, so a deploy shows at once and the page never mixes old and new modules.
 */
export class SiteContent extends pulumi.ComponentResource {
  public readonly objects: aws.s3.BucketObjectv2[];
  public readonly configObject: aws.s3.BucketObjectv2;

  constructor(name: string, args: SiteContentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:SiteContent", name, {}, opts);
    this.objects = siteFiles(args.siteDir)
      .filter((key) => key !== SITE_CONFIG_KEY)
      .map(
        (key) =>
          new aws.s3.BucketObjectv2(
            `${name}-${key}`,
            {
              bucket: args.bucket.id,
              key,
              source: new pulumi.asset.FileAsset(path.join(args.siteDir, key)),
              contentType: contentTypeOf(key),
              // Revalidated on every load (CloudFront answers 304s from its cache): the page's
              // ES modules have no hashed names, so a longer max-age would pair a new
              // index.html with old modules for up to that long after a deploy.
              cacheControl: "no-cache",
            },
            { parent: this },
          ),
      );
    this.configObject = new aws.s3.BucketObjectv2(
      `${name}-${SITE_CONFIG_KEY}`,
      {
        bucket: args.bucket.id,
        key: SITE_CONFIG_KEY,
        content: pulumi.jsonStringify({ apiUrl: args.apiUrl, auth: args.auth }),
        contentType: contentTypeOf(SITE_CONFIG_KEY),
        cacheControl: "no-cache",
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
