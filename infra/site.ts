import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { apiPathPrefixes } from "../handlers/routes";
import { SITE_CONTENT_SECURITY_POLICY } from "../handlers/siteServing";
import { notFoundFunctionCode } from "./notFoundFunction";
import { siteFiles } from "./siteContent";

/** AWS's managed cache policy "CachingOptimized" (honours the objects' Cache-Control). */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/** AWS's managed cache policy "CachingDisabled": every API request goes to the API. */
export const CACHING_DISABLED_POLICY_ID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/**
 * AWS's managed origin request policy "AllViewerExceptHostHeader", made for API Gateway origins:
 * every viewer header, cookie and query string goes on, except `Host` (API Gateway routes by its
 * own host name).
 */
export const ALL_VIEWER_EXCEPT_HOST_POLICY_ID = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/** The error codes CloudFront caches (and lets a distribution set the caching of). */
export const CACHEABLE_ERROR_CODES = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
/** The TLS floor of a distribution with its own certificate (CloudFront's recommended policy). */
export const CUSTOM_DOMAIN_TLS_POLICY = "TLSv1.2_2021";
/**
 * The one value CloudFront takes with its default `*.cloudfront.net` certificate: with it,
 * CloudFront always uses the `TLSv1` security policy (TLS 1.0 and later), whatever is asked.
 */
export const DEFAULT_CERTIFICATE_TLS_POLICY = "TLSv1";

/**
 * The path patterns of the API on the site's distribution, from the route table: each first path
 * segment of a route (`/jobs`, `/job-types`) and everything under it.
 */
export function apiPathPatterns(): string[] {
  return apiPathPrefixes().flatMap((prefix) => [prefix, `${prefix}/*`]);
}

/** A custom domain for the site: its name and an ACM certificate for it in us-east-1. */
export interface SiteDomain {
  name: string;
  certificateArn: string;
}

export interface SiteHostingArgs {
  /** The HTTP API's endpoint (`https://{id}.execute-api.{region}.amazonaws.com`), served under the site's own origin. */
  apiEndpoint: pulumi.Input<string>;
  /** The folder published (`site/`): its files are what the bucket behaviour serves; anything else is a 404. */
  siteDir: string;
  /** The site's own domain; without it the site is `https://{id}.cloudfront.net`. */
  domain?: SiteDomain;
}

/**
 * Where the static site lives (SPEC §7): a private bucket (public access blocked, objects owned
 * by the bucket, encrypted, TLS-only policy) readable only by this CloudFront distribution through
 * origin access control; viewers are redirected to HTTPS and get security headers; a path the site
 * does not have answers a real 404 page. The API is served through the same distribution under
 * its route table's paths, so the page calls its own origin: no CORS for the page, and a CSP whose
 * `connect-src` is `'self'` alone.
 */
export class SiteHosting extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  public readonly ownershipControls: aws.s3.BucketOwnershipControls;
  public readonly encryption: aws.s3.BucketServerSideEncryptionConfiguration;
  public readonly bucketPolicy: aws.s3.BucketPolicy;
  public readonly originAccessControl: aws.cloudfront.OriginAccessControl;
  public readonly headersPolicy: aws.cloudfront.ResponseHeadersPolicy;
  public readonly notFoundFunction: aws.cloudfront.Function;
  public readonly distribution: aws.cloudfront.Distribution;
  /** `https://` + the site's domain (custom, or the distribution's): the site's URL and the page's API origin. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: SiteHostingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:SiteHosting", name, {}, opts);
    this.bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: true }, { parent: this });
    // S3 answers concurrent configuration calls on one bucket with OperationAborted: each of
    // these waits for the one before it.
    this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    this.ownershipControls = new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this, dependsOn: [this.publicAccessBlock] },
    );
    this.encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: this.bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      { parent: this, dependsOn: [this.ownershipControls] },
    );
    this.originAccessControl = new aws.cloudfront.OriginAccessControl(
      `${name}-oac`,
      { originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" },
      { parent: this },
    );
    this.headersPolicy = new aws.cloudfront.ResponseHeadersPolicy(
      `${name}-security-headers`,
      {
        securityHeadersConfig: {
          strictTransportSecurity: { accessControlMaxAgeSec: 63_072_000, includeSubdomains: true, preload: true, override: true },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: "DENY", override: true },
          referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
          contentSecurityPolicy: { contentSecurityPolicy: SITE_CONTENT_SECURITY_POLICY, override: true },
        },
      },
      { parent: this },
    );
    this.notFoundFunction = new aws.cloudfront.Function(
      `${name}-not-found`,
      {
        runtime: "cloudfront-js-2.0",
        comment: "CloudQueue site: 404 page for paths the site does not have",
        code: notFoundFunctionCode(siteFiles(args.siteDir), args.siteDir),
        publish: true,
      },
      { parent: this },
    );
    const siteOriginId = "site-bucket";
    const apiOriginId = "http-api";
    this.distribution = new aws.cloudfront.Distribution(
      `${name}-cdn`,
      {
        enabled: true,
        comment: "CloudQueue site and API",
        defaultRootObject: "index.html",
        httpVersion: "http2and3",
        priceClass: "PriceClass_100",
        aliases: args.domain ? [args.domain.name] : undefined,
        origins: [
          { originId: siteOriginId, domainName: this.bucket.bucketRegionalDomainName, originAccessControlId: this.originAccessControl.id },
          {
            originId: apiOriginId,
            domainName: pulumi.output(args.apiEndpoint).apply((endpoint) => new URL(endpoint).host),
            customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] },
          },
        ],
        defaultCacheBehavior: {
          targetOriginId: siteOriginId,
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD"],
          cachedMethods: ["GET", "HEAD"],
          compress: true,
          cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
          responseHeadersPolicyId: this.headersPolicy.id,
          functionAssociations: [{ eventType: "viewer-request", functionArn: this.notFoundFunction.arn }],
        },
        orderedCacheBehaviors: apiPathPatterns().map((pathPattern) => ({
          pathPattern,
          targetOriginId: apiOriginId,
          // HTTPS only, not a redirect: a redirected POST loses its body.
          viewerProtocolPolicy: "https-only",
          allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
          cachedMethods: ["GET", "HEAD"],
          compress: true,
          // These two forward a `jwt` stack's `Authorization: Bearer` header to API Gateway: with
          // caching disabled, the AllViewer and AllViewerExceptHostHeader origin request policies
          // forward Authorization (AWS knowledge center, "cloudfront-authorization-header"); with
          // caching on, it would have to be in the cache key instead. SigV4 (`iam`) callers cannot
          // come this way: CloudFront replaces Host, which their signature covers; they call the
          // API's own URL (`apiUrl`).
          cachePolicyId: CACHING_DISABLED_POLICY_ID,
          originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
          responseHeadersPolicyId: this.headersPolicy.id,
        })),
        // CloudFront keeps an error answer 10 s by default, apart from the cache policy: a 503
        // from a busy store must not be served to every caller of the same path. No page is
        // named, so the API's own answers pass unchanged.
        customErrorResponses: CACHEABLE_ERROR_CODES.map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })),
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate: args.domain
          ? { acmCertificateArn: args.domain.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: CUSTOM_DOMAIN_TLS_POLICY }
          : { cloudfrontDefaultCertificate: true, minimumProtocolVersion: DEFAULT_CERTIFICATE_TLS_POLICY },
      },
      { parent: this },
    );
    this.bucketPolicy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: this.bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "CloudFrontReadsThroughOAC",
              Effect: "Allow",
              Principal: { Service: "cloudfront.amazonaws.com" },
              Action: "s3:GetObject",
              Resource: pulumi.interpolate`${this.bucket.arn}/*`,
              Condition: { StringEquals: { "AWS:SourceArn": this.distribution.arn } },
            },
            {
              Sid: "TlsOnly",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      },
      // Last of the bucket's configuration calls; with public access blocked first, this policy
      // can never be read as making the bucket public.
      { parent: this, dependsOn: [this.publicAccessBlock, this.encryption] },
    );
    this.url = args.domain ? pulumi.output(`https://${args.domain.name}`) : pulumi.interpolate`https://${this.distribution.domainName}`;
    this.registerOutputs({ url: this.url });
  }
}
