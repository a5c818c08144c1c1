import { createHash, timingSafeEqual } from "node:crypto";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import { LOCAL_ACCOUNT_ID, type IamCredentials, type IamUser } from "./iamCredentials";
import { gatewayMessage, type AuthorizationRequest, type AuthorizationResult, type AuthorizationRoute, type LocalAuthorizer } from "./localAuthorizer";

/** The signing name of API Gateway's invoke API, the service a caller's credential scope names. */
export const EXECUTE_API_SERVICE = "execute-api";

/**
 * How far `x-amz-date` may be from the clock, either way. The IAM User Guide says "in most cases,
 * a request must reach AWS within five minutes of the time stamp in the request" (older SigV4
 * pages said 15 minutes, and some services still allow 15), and API Gateway's `execute-api`
 * refuses at five: `Signature expired: <date> is now earlier than <now - 5 min> (<now> - 5 min.)`.
 * The local stack uses five too, so that a skewed client fails here as it would when deployed.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface SigV4AuthorizerOptions {
  /** The region callers sign for, the stack's region. */
  region: string;
  /** The clock requests are dated against. @default () => new Date() */
  now?: () => Date;
  /** How far a request's `x-amz-date` may be from {@link now}. @default MAX_CLOCK_SKEW_MS (5 minutes) */
  maxClockSkewMs?: number;
}

/**
 * What a refused request is answered. Real API Gateway answers `403` for an `AWS_IAM` route
 * whatever is wrong, with `{"message": …}` and `x-amzn-ErrorType` saying which check failed:
 * `{"message":"Forbidden"}` when there is no `Authorization` at all, "The request signature we
 * calculated does not match the signature you provided…" (InvalidSignatureException) for a bad
 * signature, "The security token included in the request is invalid." (UnrecognizedClientException)
 * for an unknown key, "Signature expired: …" for a stale date, "Authorization header requires …"
 * (IncompleteSignatureException) for a malformed header. Those texts are AWS's to change and not
 * part of any contract, so the local front answers one `{"message":"Forbidden"}` for all of
 * them: clients must act on the status alone, never on the message text.
 */
function forbidden(): AuthorizationResult {
  return { ok: false, response: gatewayMessage(403, "Forbidden") };
}

/**
 * The local stand-in for API Gateway's `AWS_IAM` authorization: verifies each request's SigV4
 * signature (`Authorization` header, service `execute-api`) against the local IAM users by signing
 * the same request again with the AWS SDK's own signer and the caller's secret, and passes the
 * caller on as payload 2.0's `requestContext.authorizer.iam`. Refuses with a `403`
 * ({@link forbidden}) for any request it cannot verify, and never rejects: a throw anywhere in the
 * check is a `403` too.
 *
 * Public routes carry no authorization, and their result holds no `iam` context: `authorizer`
 * is `{}`, which the front passes as no authorizer at all.
 */
export function createSigV4Authorizer(credentials: Pick<IamCredentials, "users">, options: SigV4AuthorizerOptions): LocalAuthorizer {
  const usersByAccessKey = new Map(credentials.users.map((user) => [user.accessKeyId, user]));
  const now = options.now ?? (() => new Date());
  const maxSkewMs = options.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS;

  async function verifiedCaller(request: AuthorizationRequest): Promise<IamUser | undefined> {
    const header = headerOf(request.headers, "authorization");
    const authorization = header === undefined ? undefined : parseAuthorization(header);
    if (!authorization) return undefined;
    const { accessKeyId, scope, signedHeaders, signature } = authorization;

    const dateHeader = headerOf(request.headers, "x-amz-date");
    const signingDate = dateHeader === undefined ? undefined : parseAmzDate(dateHeader);
    if (!signingDate || Math.abs(now().getTime() - signingDate.getTime()) > maxSkewMs) return undefined;
    if (scope.date !== dateHeader!.slice(0, 8) || scope.region !== options.region || scope.service !== EXECUTE_API_SERVICE) return undefined;

    const user = usersByAccessKey.get(accessKeyId);
    if (!user) return undefined;

    // `host` and `x-amz-date` must be signed (SigV4 requires both); an unsigned session token
    // could be swapped in transit, so a token, if sent, must be signed too.
    if (!signedHeaders.includes("host") || !signedHeaders.includes("x-amz-date")) return undefined;
    if (headerOf(request.headers, "x-amz-security-token") !== undefined && !signedHeaders.includes("x-amz-security-token")) return undefined;
    const headers: Record<string, string> = Object.create(null);
    for (const name of signedHeaders) {
      const value = headerOf(request.headers, name);
      if (value === undefined) return undefined;
      headers[name] = value;
    }
    // The signer takes a signed `x-amz-content-sha256` as the payload hash without looking at the
    // body; a hash that is not the body's (or `UNSIGNED-PAYLOAD`, which covers no body at all)
    // would let a replayed signature carry another body, so the body's own hash must be there.
    const contentSha256 = headers["x-amz-content-sha256"];
    if (contentSha256 !== undefined && contentSha256 !== createHash("sha256").update(request.body).digest("hex")) return undefined;

    const rebuilt = new HttpRequest({
      method: request.method.toUpperCase(),
      protocol: "https:",
      hostname: hostnameOf(headers.host ?? request.host),
      path: request.path,
      query: parseRawQuery(request.rawQuery),
      headers,
      body: request.body,
    });
    // `applyChecksum: false`: the client's own headers decide whether a content hash is signed;
    // `signableHeaders`: a header the SDK never signs (`user-agent`, …) still counts if this client did.
    const signer = new SignatureV4({
      service: EXECUTE_API_SERVICE,
      region: options.region,
      credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
      sha256: Sha256,
      applyChecksum: false,
    });
    const resigned = await signer.sign(rebuilt, { signingDate, signableHeaders: new Set(signedHeaders) });
    const expected = parseAuthorization(String(resigned.headers.authorization));
    if (!expected || expected.signedHeaders.join(";") !== signedHeaders.join(";")) return undefined;
    return timingSafeEqual(Buffer.from(expected.signature, "hex"), Buffer.from(signature, "hex")) ? user : undefined;
  }

  return {
    async authorize(request: AuthorizationRequest, route: AuthorizationRoute): Promise<AuthorizationResult> {
      if (route !== "default" && route.access === "public") return { ok: true, authorizer: {} };
      try {
        const user = await verifiedCaller(request);
        return user ? { ok: true, authorizer: iamContext(user) } : forbidden();
      } catch {
        return forbidden();
      }
    },
  };
}

/** `requestContext.authorizer` of a payload 2.0 event for a caller verified by `AWS_IAM`. */
export function iamContext(user: IamUser): Record<string, unknown> {
  return {
    iam: {
      accessKey: user.accessKeyId,
      accountId: LOCAL_ACCOUNT_ID,
      callerId: user.userId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: user.userArn,
      userId: user.userId,
    },
  };
}

/** The parts of an `AWS4-HMAC-SHA256` `Authorization` header. */
export interface SigV4Authorization {
  accessKeyId: string;
  scope: { date: string; region: string; service: string };
  /** As the header lists them: SigV4 requires them lower-case, sorted and `;`-separated. */
  signedHeaders: string[];
  /** 64 lower-case hex digits. */
  signature: string;
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * Parses `AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/service/aws4_request,
 * SignedHeaders=a;b, Signature=hex` (spaces after the commas optional, as AWS accepts);
 * `undefined` for anything else, including a header that repeats or adds a component.
 */
export function parseAuthorization(header: string): SigV4Authorization | undefined {
  const prefix = "AWS4-HMAC-SHA256 ";
  if (!header.startsWith(prefix)) return undefined;
  const components = new Map<string, string>();
  for (const part of header.slice(prefix.length).split(",")) {
    const component = /^\s*(Credential|SignedHeaders|Signature)=(\S+)\s*$/.exec(part);
    if (!component || components.has(component[1]!)) return undefined;
    components.set(component[1]!, component[2]!);
  }
  const credential = /^([A-Z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request$/.exec(components.get("Credential") ?? "");
  const signedHeaders = (components.get("SignedHeaders") ?? "").split(";");
  const signature = components.get("Signature") ?? "";
  if (!credential || !signedHeaders.every((name) => HEADER_NAME.test(name)) || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  return { accessKeyId: credential[1]!, scope: { date: credential[2]!, region: credential[3]!, service: credential[4]! }, signedHeaders, signature };
}

/** `yyyymmddThhmmssZ` as a date; `undefined` for any other text or an impossible date. */
export function parseAmzDate(text: string): Date | undefined {
  const parts = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!parts) return undefined;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 20250230 over to March: a date that does not print back as itself is not one.
  return date.toISOString().replace(/[-:]|\.\d{3}/g, "") === text ? date : undefined;
}

/**
 * A raw query string as the signer's query map: names and values percent-decoded (the signer
 * encodes them again, as SigV4's canonical query requires), a repeated name as a list, a name
 * without `=` as an empty value.
 */
function parseRawQuery(rawQuery: string): Record<string, string | string[]> {
  // No prototype: a parameter named `__proto__` is a parameter like any other.
  const query: Record<string, string | string[]> = Object.create(null);
  for (const pair of rawQuery.split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const name = decodeURIComponent(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? "" : decodeURIComponent(pair.slice(equals + 1));
    const existing = query[name];
    query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const value: unknown = Object.hasOwn(headers, name) ? headers[name] : undefined;
  return typeof value === "string" ? value : undefined;
}

/** `host[:port]` (or `[v6]:port`) without the port. */
function hostnameOf(host: string): string {
  return host.replace(/:\d*$/, "");
}
