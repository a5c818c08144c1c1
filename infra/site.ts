import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** AWS's managed cache policy "CachingOptimized" (honours the objects' Cache-Control). */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";

export interface SiteHostingArgs {
  /**
   * Origins the page may call besides its own (the API). The API's URL is not known yet when the
   * CDN is built (the API's CORS needs the CDN's domain), so this is the execute-api domain pattern.
   */
  connectSources: pulumi.Input<string>[];
}

/**
 * Where the static site lives (SPEC §7): a private bucket (public access blocked, objects owned
 * by the bucket, TLS-only policy) readable only by this CloudFront distribution through origin
 * access control; viewers are redirected to HTTPS and get security headers.
 */
export class SiteHosting extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  public readonly bucketPolicy: aws.s3.BucketPolicy;
  public readonly originAccessControl: aws.cloudfront.OriginAccessControl;
  public readonly headersPolicy: aws.cloudfront.ResponseHeadersPolicy;
  public readonly distribution: aws.cloudfront.Distribution;
  /** `https://` + the distribution's domain: the site's URL and CORS origin. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: SiteHostingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:SiteHosting", name, {}, opts);
    this.bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: true }, { parent: this });
    this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: this.bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      { parent: this },
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
          contentSecurityPolicy: {
            contentSecurityPolicy: pulumi
              .all(args.connectSources)
              .apply((sources) => `default-src 'self'; connect-src 'self' ${sources.join(" ")}; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`),
            override: true,
          },
        },
      },
      { parent: this },
    );
    const originId = "site-bucket";
    this.distribution = new aws.cloudfront.Distribution(
      `${name}-cdn`,
      {
        enabled: true,
        comment: "CloudQueue site",
        defaultRootObject: "index.html",
        httpVersion: "http2and3",
        priceClass: "PriceClass_100",
        origins: [{ originId, domainName: this.bucket.bucketRegionalDomainName, originAccessControlId: this.originAccessControl.id }],
        defaultCacheBehavior: {
          targetOriginId: originId,
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD"],
          cachedMethods: ["GET", "HEAD"],
          compress: true,
          cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
          responseHeadersPolicyId: this.headersPolicy.id,
        },
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate: { cloudfrontDefaultCertificate: true, minimumProtocolVersion: "TLSv1.2_2021" },
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
      // With public access blocked first, this policy can never be read as making the bucket public.
      { parent: this, dependsOn: [this.publicAccessBlock] },
    );
    this.url = pulumi.interpolate`https://${this.distribution.domainName}`;
    this.registerOutputs({ url: this.url });
  }
}
