import { Sha256 } from "@smithy/core/checksum";
import { buildQueryString, HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "chai";
import fc from "fast-check";
import { newIamUsers, type IamUser } from "../../../local/iamCredentials";
import type { AuthorizationRequest, AuthorizationResult, AuthorizationRoute } from "../../../local/localAuthorizer";
import { createSigV4Authorizer, MAX_CLOCK_SKEW_MS } from "../../../local/sigv4Authorizer";

const NOW = new Date("2025-03-01T12:00:00Z");
const REGION = "us-east-1";
const HOST = "localhost:3000";
const READ: AuthorizationRoute = { access: "read" };
const SUBMIT: AuthorizationRoute = { access: "submit" };
const [alice, bob] = newIamUsers(["alice", "bob"]) as [IamUser, IamUser];
const authorizer = createSigV4Authorizer({ users: [alice, bob] }, { region: REGION, now: () => NOW });

interface RequestSpec {
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}

interface SigningSpec {
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  date?: Date;
  region?: string;
  service?: string;
  /** Whether the client signs `x-amz-content-sha256` (the SDK's default) or only hashes the body. */
  applyChecksum?: boolean;
  unsignableHeaders?: Set<string>;
}

/**
 * A request signed on the client side as an SDK client would sign it: the `host` header set
 * first (the SDK's host-header middleware), then `SignatureV4` for `execute-api`; returned as the
 * front hands it to the authorizer (raw path, raw query, lower-case headers).
 */
async function signedRequest(user: IamUser, request: RequestSpec, signing: SigningSpec = {}): Promise<AuthorizationRequest> {
  const signer = new SignatureV4({
    service: signing.service ?? "execute-api",
    region: signing.region ?? REGION,
    credentials: signing.credentials ?? { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    sha256: Sha256,
    applyChecksum: signing.applyChecksum ?? true,
  });
  const signed = await signer.sign(
    new HttpRequest({ method: request.method, protocol: "http:", hostname: "localhost", port: 3000, path: request.path, query: request.query ?? {}, headers: { host: HOST, ...request.headers }, body: request.body }),
    { signingDate: signing.date ?? NOW, unsignableHeaders: signing.unsignableHeaders },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return { method: signed.method, path: signed.path, rawQuery: buildQueryString(signed.query ?? {}), headers, body: Buffer.from(request.body ?? ""), host: HOST };
}

const getJob = (user: IamUser = alice, signing?: SigningSpec) => signedRequest(user, { method: "GET", path: "/jobs/01JNQ8Z6W4Y7ZK3V9C2B5X8M0D" }, signing);

const submitJob = (user: IamUser = alice, signing?: SigningSpec) =>
  signedRequest(user, { method: "POST", path: "/jobs", query: { dryRun: "true", tag: ["a b", "c/d"] }, headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "textTransform", payload: { text: "hi" } }) }, signing);

function expectForbidden(result: AuthorizationResult): void {
  expect(result.ok).to.equal(false);
  if (result.ok) return;
  expect(result.response.statusCode).to.equal(403);
  expect(result.response.headers["content-type"]).to.equal("application/json");
  expect(JSON.parse(result.response.body.toString("utf8"))).to.deep.equal({ message: "Forbidden" });
}

function withHeaders(request: AuthorizationRequest, headers: Record<string, string>): AuthorizationRequest {
  return { ...request, headers: { ...request.headers, ...headers } };
}

describe("local iam mode: SigV4 authorizer", () => {
  describe("a request signed with a local user's key", () => {
    it("passes a signed GET with the iam context payload 2.0 carries for that user", async () => {
      // Prepare
      const request = await getJob(alice);

      // Act
      const result = await authorizer.authorize(request, READ);

      // Assess
      expect(result).to.deep.equal({
        ok: true,
        authorizer: {
          iam: {
            accessKey: alice.accessKeyId,
            accountId: "000000000000",
            callerId: alice.userId,
            cognitoIdentity: null,
            principalOrgId: null,
            userArn: "arn:aws:iam::000000000000:user/alice",
            userId: alice.userId,
          },
        },
      });
    });

    it("passes a signed POST with a JSON body and a query string, naming the user who signed", async () => {
      const result = await authorizer.authorize(await submitJob(bob), SUBMIT);

      expect(result.ok).to.equal(true);
      expect(result.ok && (result.authorizer.iam as { userArn: string }).userArn).to.equal("arn:aws:iam::000000000000:user/bob");
    });

    it("passes a body signed by its hash alone, without an x-amz-content-sha256 header", async () => {
      const request = await submitJob(alice, { applyChecksum: false });

      expect(request.headers).to.not.have.property("x-amz-content-sha256");
      expect((await authorizer.authorize(request, SUBMIT)).ok).to.equal(true);
    });

    it("refuses a request whose signed x-amz-content-sha256 is UNSIGNED-PAYLOAD: its signature would carry any body", async () => {
      const request = await signedRequest(alice, { method: "POST", path: "/jobs", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: "{}" });

      expect((await authorizer.authorize(request, SUBMIT)).ok).to.equal(false);
    });

    it("passes a request carrying a signed x-amz-security-token", async () => {
      const request = await getJob(alice, { credentials: { accessKeyId: alice.accessKeyId, secretAccessKey: alice.secretAccessKey, sessionToken: "local-session" } });

      expect(request.headers["x-amz-security-token"]).to.equal("local-session");
      expect((await authorizer.authorize(request, READ)).ok).to.equal(true);
    });

    it("ignores headers that were not signed, as SigV4 does", async () => {
      const request = withHeaders(await getJob(), { "user-agent": "curl/8", "x-forwarded-for": "10.0.0.1" });

      expect((await authorizer.authorize(request, READ)).ok).to.equal(true);
    });

    it("accepts the Authorization components without spaces after the commas", async () => {
      const request = await getJob();
      const compact = request.headers.authorization!.replace(/, /g, ",");

      expect((await authorizer.authorize(withHeaders(request, { authorization: compact }), READ)).ok).to.equal(true);
    });

    it("passes a request dated within five minutes of the clock", async () => {
      const request = await getJob(alice, { date: new Date(NOW.getTime() - MAX_CLOCK_SKEW_MS + 1000) });

      expect((await authorizer.authorize(request, READ)).ok).to.equal(true);
    });

    it("requires a signature on the $default route too", async () => {
      expect((await authorizer.authorize(await getJob(), "default")).ok).to.equal(true);
      const { authorization: _, ...unsigned } = (await getJob()).headers;
      expectForbidden(await authorizer.authorize({ ...(await getJob()), headers: unsigned }, "default"));
    });
  });

  describe("public routes", () => {
    it("pass without any signature and with no iam context", async () => {
      const request: AuthorizationRequest = { method: "GET", path: "/job-types", rawQuery: "", headers: { host: HOST }, body: Buffer.alloc(0), host: HOST };

      expect(await authorizer.authorize(request, { access: "public" })).to.deep.equal({ ok: true, authorizer: {} });
    });
  });

  describe("refusals: 403 {\"message\":\"Forbidden\"}", () => {
    it("refuses an unsigned request", async () => {
      const { authorization: _, ...headers } = (await getJob()).headers;

      expectForbidden(await authorizer.authorize({ ...(await getJob()), headers }, READ));
    });

    it("refuses a signature made with the wrong secret", async () => {
      const request = await getJob(alice, { credentials: { accessKeyId: alice.accessKeyId, secretAccessKey: bob.secretAccessKey } });

      expectForbidden(await authorizer.authorize(request, READ));
    });

    it("refuses an access key no local user has", async () => {
      const [stranger] = newIamUsers(["stranger"]) as [IamUser];

      expectForbidden(await authorizer.authorize(await getJob(stranger), READ));
    });

    it("refuses a tampered body, whether or not the client signed x-amz-content-sha256", async () => {
      for (const applyChecksum of [true, false]) {
        const request = await submitJob(alice, { applyChecksum });
        const tampered = { ...request, body: Buffer.from(JSON.stringify({ type: "textTransform", payload: { text: "evil" } })) };

        expectForbidden(await authorizer.authorize(tampered, SUBMIT));
      }
    });

    it("refuses a signed x-amz-content-sha256 that is not the body's hash", async () => {
      const request = await signedRequest(alice, { method: "POST", path: "/jobs", headers: { "x-amz-content-sha256": "0".repeat(64) }, body: "{}" });

      expectForbidden(await authorizer.authorize(request, SUBMIT));
    });

    it("refuses a tampered path, method or query string", async () => {
      const get = await getJob();
      const post = await submitJob();
      const tampered: Array<[AuthorizationRequest, AuthorizationRoute]> = [
        [{ ...get, path: "/jobs/01JNQ8Z6W4Y7ZK3V9C2B5X8M0E" }, READ],
        [{ ...get, method: "DELETE" }, SUBMIT],
        [{ ...post, rawQuery: post.rawQuery.replace("dryRun=true", "dryRun=false") }, SUBMIT],
        [{ ...post, rawQuery: `${post.rawQuery}&owner=bob` }, SUBMIT],
        [{ ...post, rawQuery: "" }, SUBMIT],
      ];
      for (const [request, route] of tampered) expectForbidden(await authorizer.authorize(request, route));
    });

    it("refuses a changed signed header (content-type, host, x-amz-date)", async () => {
      const request = await submitJob();
      const later = new Date(NOW.getTime() + 1000).toISOString().replace(/[-:]|\.\d{3}/g, "");
      const changes: Array<Record<string, string>> = [{ "content-type": "text/plain" }, { host: "evil.example:3000" }, { "x-amz-date": later }];
      for (const change of changes) {
        expectForbidden(await authorizer.authorize(withHeaders(request, change), SUBMIT));
      }
    });

    it("refuses a request dated more than five minutes from the clock, past or future", async () => {
      for (const offsetMs of [-16 * 60 * 1000, -MAX_CLOCK_SKEW_MS - 1000, MAX_CLOCK_SKEW_MS + 1000, 16 * 60 * 1000]) {
        expectForbidden(await authorizer.authorize(await getJob(alice, { date: new Date(NOW.getTime() + offsetMs) }), READ));
      }
    });

    it("refuses a credential scope for another region or service", async () => {
      expectForbidden(await authorizer.authorize(await getJob(alice, { region: "eu-west-1" }), READ));
      expectForbidden(await authorizer.authorize(await getJob(alice, { service: "lambda" }), READ));
    });

    it("refuses a credential scope dated another day than x-amz-date", async () => {
      const request = await getJob(alice, { date: new Date(NOW.getTime() - 24 * 60 * 60 * 1000) });
      const today = NOW.toISOString().replace(/[-:]|\.\d{3}/g, "");

      expectForbidden(await authorizer.authorize(withHeaders(request, { "x-amz-date": today }), READ));
    });

    it("refuses signed headers that leave out host or x-amz-date", async () => {
      const hostless = await signedRequest(alice, { method: "GET", path: "/jobs/x" }, { unsignableHeaders: new Set(["host"]) });
      const undated = await signedRequest(alice, { method: "GET", path: "/jobs/x" }, { unsignableHeaders: new Set(["x-amz-date"]) });

      expect(hostless.headers.authorization).to.not.match(/SignedHeaders=[^,]*host/);
      expect(undated.headers.authorization).to.not.match(/SignedHeaders=[^,]*x-amz-date/);
      expectForbidden(await authorizer.authorize(hostless, READ));
      expectForbidden(await authorizer.authorize(undated, READ));
    });

    it("refuses a request without x-amz-date", async () => {
      const { "x-amz-date": _, ...headers } = (await getJob()).headers;

      expectForbidden(await authorizer.authorize({ ...(await getJob()), headers }, READ));
    });

    it("refuses an x-amz-security-token that was not signed", async () => {
      expectForbidden(await authorizer.authorize(withHeaders(await getJob(), { "x-amz-security-token": "swapped" }), READ));
    });

    it("refuses SignedHeaders listed out of their canonical order", async () => {
      const request = await getJob();
      const reordered = request.headers.authorization!.replace(/SignedHeaders=([^,]+)/, (_, list: string) => `SignedHeaders=${list.split(";").reverse().join(";")}`);

      expect(reordered).to.not.equal(request.headers.authorization);
      expectForbidden(await authorizer.authorize(withHeaders(request, { authorization: reordered }), READ));
    });

    it("refuses a garbage Authorization header without throwing", async () => {
      const request = await getJob();
      const valid = request.headers.authorization!;
      const hex = "a".repeat(64);
      const garbage = [
        "",
        " ",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc",
        "Basic YWxpY2U6c2VjcmV0",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 ",
        "AWS4-HMAC-SHA256 Credential=",
        "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
        `AWS4-HMAC-SHA256 Credential=${alice.accessKeyId}/20250301/us-east-1/execute-api/aws4_request`,
        `AWS4-HMAC-SHA256 Credential=${alice.accessKeyId}/20250301/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date`,
        `AWS4-HMAC-SHA256 Credential=${alice.accessKeyId}/20250301/us-east-1/execute-api/aws4_request/extra, SignedHeaders=host;x-amz-date, Signature=${hex}`,
        `AWS4-HMAC-SHA256 Credential=${alice.accessKeyId}/20250301/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=${hex}, Signature=${hex}`,
        `AWS4-HMAC-SHA256 Credential=${alice.accessKeyId}/20250301/us-east-1/execute-api/aws4_request, SignedHeaders=__proto__;host;x-amz-date, Signature=${hex}`,
        `AWS4-HMAC-SHA256 Credential=${alice.accessKeyId}/20250301/us-east-1/execute-api/aws4_request, SignedHeaders=constructor;host;x-amz-date, Signature=${hex}`,
        `AWS4-HMAC-SHA256 Credential=${alice.accessKeyId}/20250301/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=${hex.toUpperCase()}`,
        valid.replace("AWS4-HMAC-SHA256", "aws4-hmac-sha256"),
        valid.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
        valid.replace(/Signature=[0-9a-f]+/, "Signature=00"),
        valid.replace(/Signature=[0-9a-f]+/, `Signature=${"0".repeat(64)}`),
        `${valid}, Extra=1`,
        `${valid}\u0000`,
        valid.replace("Credential=", "Credential=%41"),
        "AWS4-HMAC-SHA256 " + "Credential=x, ".repeat(10_000),
        "A".repeat(100_000),
      ];
      for (const authorization of garbage) {
        const result = await authorizer.authorize(withHeaders(request, { authorization }), READ);
        expectForbidden(result);
      }
    });

    it("refuses, never throws, for random Authorization headers", async () => {
      const request = await getJob();
      const valid = request.headers.authorization!;
      const authorization = fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.string({ maxLength: 200 }).map((tail) => `AWS4-HMAC-SHA256 ${tail}`),
        fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.string({ maxLength: 80 })).map(([credential, signed, signature]) => `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${signed}, Signature=${signature}`),
      );
      await fc.assert(
        fc.asyncProperty(authorization, async (value) => {
          fc.pre(value !== valid);
          expectForbidden(await authorizer.authorize(withHeaders(request, { authorization: value }), READ));
        }),
        { numRuns: 300 },
      );
    });

    it("refuses a valid Authorization header with any one character changed", async () => {
      const request = await getJob();
      const valid = request.headers.authorization!;
      // Whitespace is left out of the replacements: a tab for the space after a comma is the same header.
      const replacement = fc.string({ minLength: 1, maxLength: 1 }).filter((char) => !/\s/.test(char));
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: valid.length - 1 }), replacement, async (index, char) => {
          fc.pre(valid[index] !== char);
          const mutated = `${valid.slice(0, index)}${char}${valid.slice(index + 1)}`;
          expectForbidden(await authorizer.authorize(withHeaders(request, { authorization: mutated }), READ));
        }),
        { numRuns: 300 },
      );
    });

    it("refuses, never throws, for any request at all", async () => {
      const anyRequest = fc.record({
        method: fc.string({ maxLength: 10 }),
        path: fc.string({ maxLength: 60 }),
        rawQuery: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom("%", "a=%E0%A4%A", "__proto__=1", "a&a&a=1")),
        headers: fc.dictionary(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("authorization", "x-amz-date", "host", "__proto__", "x-amz-content-sha256")), fc.string({ maxLength: 80 })),
        body: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
        host: fc.string({ maxLength: 30 }),
      });
      await fc.assert(
        fc.asyncProperty(anyRequest, fc.constantFrom<AuthorizationRoute>(READ, SUBMIT, "default"), async (request, route) => {
          expectForbidden(await authorizer.authorize(request, route));
        }),
        { numRuns: 300 },
      );
    });

    it("refuses, never throws, for a signed request whose query string is not valid percent-encoding", async () => {
      const request = await getJob();

      expectForbidden(await authorizer.authorize({ ...request, rawQuery: "a=%E0%A4%A" }, READ));
    });
  });
});
