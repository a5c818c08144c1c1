import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import fc from "fast-check";
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { SCOPES } from "../../handlers/auth/authMode";
import { silentLogger } from "../../handlers/log";
import { LOCAL_AWS } from "../../local/emulators";
import { issuerKeyPath, LOCAL_AUDIENCE, LOCAL_ISSUER, type LocalIssuer } from "../../local/oidcIssuer";
import { parseOptions } from "../../local/options";
import { startLocalStack, type LocalStack } from "../../local/stack";
import { waitFor } from "../helpers/waitFor";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Hostile `Authorization` headers against a real local stack in `jwt` mode (`startLocalStack`, in
 * memory): forged, tampered, expired, misaddressed and malformed tokens on every route that
 * carries the authorizer. Each is answered 401 (403 only for a valid token that lacks the
 * route's scope), never a 5xx, never reaches the api, and nothing is stored or enqueued: the
 * table's items and the queue's messages are counted before and after.
 */
describe("hostile tokens against a jwt stack", function () {
  this.timeout(60_000);
  let stack: LocalStack;
  let issuer: LocalIssuer;
  let dynamo: DynamoDBClient;
  let sqs: SQSClient;
  let agent: Agent;
  let jobId: string;
  /** A key the JWKS does not hold, imported for each RSA algorithm (a WebCrypto key is bound to one hash). */
  let attackerByAlg: Record<"RS256" | "RS384" | "RS512", CryptoKey>;
  let attacker: CryptoKey;
  let countsBefore: { items: number; messages: number };
  let casesRun = 0;

  /** The routes a hostile token is tried on: each non-public route, and `$default`. */
  let routes: { method: string; path: string; scoped: boolean }[];

  const send = (method: string, path: string, authorization: string | undefined): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const url = new URL(path, stack.apiUrl);
      const headers: Record<string, string> = { "content-type": "application/json", ...(authorization !== undefined && { authorization }) };
      const body = method === "POST" ? JSON.stringify({ type: "text.transform", payload: { text: "hostile" } }) : undefined;
      const outgoing = httpRequest(url, { method, headers, agent }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () => resolve({ status: incoming.statusCode!, headers: incoming.headers, body: Buffer.concat(chunks).toString("utf8") }));
        incoming.on("error", reject);
      });
      outgoing.on("error", reject);
      outgoing.end(body);
    });

  /** Sends `authorization` to every route; each answer must be API Gateway's 401 (or 403 where `forbidden`). */
  async function expectRefusedEverywhere(name: string, authorization: string | undefined, expected: { status: 401 | 403; wwwAuthenticate: string } = { status: 401, wwwAuthenticate: 'Bearer error="invalid_token"' }) {
    for (const route of routes) {
      if (expected.status === 403 && !route.scoped) continue;
      const answer = await send(route.method, route.path, authorization);
      casesRun++;
      const label = `${name}: ${route.method} ${route.path}`;
      expect(answer.status, label).to.equal(expected.status);
      expect(answer.body, label).to.equal(expected.status === 401 ? '{"message":"Unauthorized"}' : '{"message":"Forbidden"}');
      expect(answer.headers["content-type"], label).to.equal("application/json");
      expect(answer.headers["www-authenticate"], label).to.equal(expected.wwwAuthenticate);
    }
  }

  const encode = (part: unknown) => Buffer.from(typeof part === "string" ? part : JSON.stringify(part)).toString("base64url");
  const validClaims = (): JWTPayload => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: "mallory", iat: now - 5, nbf: now - 5, exp: now + 600, scope: `${SCOPES.submit} ${SCOPES.read}` };
  };
  const sign = (claims: JWTPayload, key: CryptoKey, header: Record<string, unknown> = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: issuer.kid, typ: "JWT", ...header }).sign(key);
  /** The issuer's own private key, read as the stack stored it: a "valid" token needs it. */
  let issuerKey: CryptoKey;
  const hmacToken = (secret: string | Buffer, claims: JWTPayload = validClaims()) => {
    const input = `${encode({ alg: "HS256", kid: issuer.kid, typ: "JWT" })}.${encode(claims)}`;
    return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
  };

  async function counts() {
    const { Count } = await dynamo.send(new ScanCommand({ TableName: stack.emulators.tableName, Select: "COUNT" }));
    const names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"] as const;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.emulators.queueUrl, AttributeNames: [...names] }));
    const messages = names.reduce((sum, name) => sum + Number(Attributes?.[name] ?? 0), 0);
    return { items: Count ?? 0, messages };
  }

  before(async () => {
    stack = await startLocalStack(parseOptions(["--in-memory", "--port", "0", "--auth", "jwt"], {}), silentLogger, { quietHandlerLogs: true });
    issuer = stack.auth.issuer!;
    dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stack.emulators.dynamoEndpoint });
    sqs = new SQSClient({ ...LOCAL_AWS, endpoint: stack.emulators.sqsEndpoint });
    agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const attackerJwk = await exportJWK((await generateKeyPair("RS256", { extractable: true })).privateKey);
    const importAs = async (alg: string) => (await importJWK(attackerJwk, alg)) as CryptoKey;
    attackerByAlg = { RS256: await importAs("RS256"), RS384: await importAs("RS384"), RS512: await importAs("RS512") };
    attacker = attackerByAlg.RS256;
    issuerKey = (await importJWK(JSON.parse(readFileSync(issuerKeyPath(stack.auth.keyDir!), "utf8")), "RS256")) as CryptoKey;

    // One real job, finished, that hostile cancels and retries aim at.
    const owner = `Bearer ${await issuer.sign({ sub: "alice", scope: `${SCOPES.submit} ${SCOPES.read}` }, 600)}`;
    const submitted = await send("POST", "/jobs", owner);
    expect(submitted.status, submitted.body).to.equal(202);
    jobId = JSON.parse(submitted.body).jobId;
    await waitFor("the real job to succeed", async () => (JSON.parse((await send("GET", `/jobs/${jobId}`, owner)).body).status === "SUCCEEDED" ? true : undefined), 20_000, 50);
    routes = [
      { method: "POST", path: "/jobs", scoped: true },
      { method: "GET", path: `/jobs/${jobId}`, scoped: true },
      { method: "DELETE", path: `/jobs/${jobId}`, scoped: true },
      { method: "POST", path: `/jobs/${jobId}/retry`, scoped: true },
      { method: "GET", path: "/jobs/a/b", scoped: false },
    ];
    countsBefore = await counts();
  });

  after(async () => {
    if (stack) {
      // Nothing a hostile request sent was stored or enqueued, and the real job is as it was.
      expect(await counts()).to.deep.equal(countsBefore);
      const owner = `Bearer ${await issuer.sign({ sub: "alice", scope: SCOPES.read }, 60)}`;
      expect(JSON.parse((await send("GET", `/jobs/${jobId}`, owner)).body)).to.include({ status: "SUCCEEDED", attempts: 1 });
      console.log(`      hostile token cases run: ${casesRun}`);
      agent.destroy();
      dynamo.destroy();
      sqs.destroy();
      await stack.close();
    }
  });

  it("refuses a fixed list of forged, tampered, misaddressed and malformed tokens with 401 on every route", async () => {
    const now = Math.floor(Date.now() / 1000);
    const valid = await sign(validClaims(), issuerKey);
    const [header, payload, signature] = valid.split(".") as [string, string, string];
    const publicJwk = issuer.jwks.keys[0]!;
    const publicPem = await exportSPKI((await importJWK(publicJwk, "RS256")) as CryptoKey);
    const attackerPublic = await exportJWK((await generateKeyPair("RS256", { extractable: true })).publicKey);
    const otherSignature = Buffer.from(signature, "base64url");
    otherSignature[0]! ^= 0x01;
    const ecKey = (await generateKeyPair("ES256")).privateKey;
    const cases: [string, string][] = [
      ["alg none", `${encode({ alg: "none", kid: issuer.kid })}.${encode(validClaims())}.`],
      ["alg none, signature kept", `${encode({ alg: "none", kid: issuer.kid })}.${payload}.${signature}`],
      ["HS256 keyed with the public JWK's JSON", hmacToken(JSON.stringify(publicJwk))],
      ["HS256 keyed with the public key's PEM", hmacToken(publicPem)],
      ["HS256 keyed with the modulus bytes", hmacToken(Buffer.from(publicJwk.n!, "base64url"))],
      ["ES256 from another key", await new SignJWT(validClaims()).setProtectedHeader({ alg: "ES256", kid: issuer.kid }).sign(ecKey)],
      ["a kid the JWKS lacks", await sign(validClaims(), issuerKey, { kid: "not-a-key" })],
      ["no kid", await new SignJWT(validClaims()).setProtectedHeader({ alg: "RS256" }).sign(issuerKey)],
      ["an unknown key under the issuer's kid", await sign(validClaims(), attacker)],
      ["an unknown key embedded in the header (jwk)", await sign(validClaims(), attacker, { jwk: attackerPublic })],
      ["another iss", await sign({ ...validClaims(), iss: "https://evil.example/issuer" }, issuerKey)],
      ["an iss differing in case", await sign({ ...validClaims(), iss: LOCAL_ISSUER.toUpperCase() }, issuerKey)],
      ["a near-miss aud", await sign({ ...validClaims(), aud: `${LOCAL_AUDIENCE}x` }, issuerKey)],
      ["a token for another audience (client_id ours)", await sign({ ...validClaims(), aud: "https://other-app.example", client_id: LOCAL_AUDIENCE }, issuerKey)],
      ["expired", await sign({ ...validClaims(), exp: now - 1 }, issuerKey)],
      ["no exp", await sign({ ...validClaims(), exp: undefined }, issuerKey)],
      ["not yet valid (nbf)", await sign({ ...validClaims(), nbf: now + 600 }, issuerKey)],
      ["iat in the future", await sign({ ...validClaims(), iat: now + 600 }, issuerKey)],
      ["payload changed after signing", `${header}.${encode({ ...validClaims(), sub: "alice", scope: SCOPES.admin })}.${signature}`],
      ["signature changed", `${header}.${payload}.${otherSignature.toString("base64url")}`],
      ["signature cut off", `${header}.${payload}.`],
      ["signature moved onto another header", `${encode({ alg: "RS512", kid: issuer.kid })}.${payload}.${signature}`],
      ["oversized (~12 KB), signed by an unknown key", await sign({ ...validClaims(), padding: "x".repeat(9_000) }, attacker)],
      ["garbage", "!!not a token at all!!"],
      ["three dots", "..."],
      ["a JWE-shaped token", `${encode({ alg: "RSA-OAEP", enc: "A256GCM", kid: issuer.kid })}.${encode("k")}.${encode("iv")}.${encode("c")}.${encode("t")}`],
      ["Bearer alone", "Bearer"],
      ["Bearer twice", `Bearer Bearer ${valid}`],
      ["another scheme (Basic)", `Basic ${Buffer.from("alice:password").toString("base64")}`],
      ["another scheme around a valid token", `Token ${valid}`],
      ["two tokens", `Bearer ${valid}, Bearer ${valid}`],
    ];
    expect(cases.find(([name]) => name.startsWith("oversized"))![1].length).to.be.within(11_000, 13_500);
    for (const [name, authorization] of cases) await expectRefusedEverywhere(name, name.startsWith("Bearer") || name.startsWith("another scheme") || name === "two tokens" ? authorization : `Bearer ${authorization}`);
    for (const [name, authorization] of [["no header", undefined], ["empty", ""], ["spaces", "   "]] as const) await expectRefusedEverywhere(name, authorization, { status: 401, wwwAuthenticate: "Bearer" });
  });

  it("answers 403 Forbidden to a valid token without the route's scope, and 401 still for the same claims from another key", async () => {
    const noScope = { ...validClaims(), scope: "profile email" };
    await expectRefusedEverywhere("a valid token without the scope", `Bearer ${await sign(noScope, issuerKey)}`, { status: 403, wwwAuthenticate: 'Bearer error="insufficient_scope"' });
    await expectRefusedEverywhere("the admin scope from another key", `Bearer ${await sign({ ...validClaims(), scope: SCOPES.admin }, attacker)}`);
  });

  describe("properties (fast-check)", () => {
    const route = () => fc.integer({ min: 0, max: 4 }).map((index) => routes[index]!);
    async function expectRefused(authorization: string, target: { method: string; path: string }) {
      const answer = await send(target.method, target.path, authorization);
      casesRun++;
      expect(answer.status, `${target.method} ${target.path} ${JSON.stringify(authorization.slice(0, 80))}`).to.equal(401);
      expect(answer.body).to.equal('{"message":"Unauthorized"}');
    }

    it("answers random header values with 401", async () => {
      // What an HTTP client can send in a header: tab, printable ASCII and Latin-1.
      const headerChar = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09)).map((code) => String.fromCharCode(code));
      const value = fc.oneof(fc.string({ unit: headerChar, maxLength: 400 }), fc.string({ unit: headerChar, maxLength: 400 }).map((text) => `Bearer ${text}`), fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((parts) => `Bearer ${parts.join(".")}`));
      await fc.assert(
        fc.asyncProperty(value.filter((text) => text.trim() !== ""), route(), (authorization, target) => expectRefused(authorization, target)),
        { numRuns: 300 },
      );
    });

    it("answers valid tokens with random bytes flipped (header, claims or signature) with 401", async () => {
      const valid = await issuer.sign({ sub: "mallory", scope: `${SCOPES.submit} ${SCOPES.read}` }, 600);
      const parts = valid.split(".");
      const flip = fc.record({ part: fc.integer({ min: 0, max: 2 }), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), more: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }) });
      await fc.assert(
        fc.asyncProperty(flip, route(), async ({ part, at, bit, more }, target) => {
          const bytes = Buffer.from(parts[part]!, "base64url");
          // Flipped in the decoded bytes: a changed base64url letter may decode to the same bytes.
          bytes[at % bytes.length]! ^= 1 << bit;
          for (const [index, mask] of more) bytes[index % bytes.length]! ^= mask;
          if (bytes.equals(Buffer.from(parts[part]!, "base64url"))) bytes[at % bytes.length]! ^= 0x80;
          const tampered = parts.map((text, index) => (index === part ? bytes.toString("base64url") : text)).join(".");
          await expectRefused(`Bearer ${tampered}`, target);
        }),
        { numRuns: 300 },
      );
    });

    it("answers random claim sets signed with a key the JWKS lacks, under the issuer's kid, with 401", async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = fc.record(
        {
          iss: fc.oneof(fc.constant(LOCAL_ISSUER), fc.webUrl()),
          aud: fc.oneof(fc.constant(LOCAL_AUDIENCE), fc.array(fc.oneof(fc.constant(LOCAL_AUDIENCE), fc.string()), { maxLength: 3 })),
          sub: fc.string({ maxLength: 40 }),
          scope: fc.constantFrom(SCOPES.admin, `${SCOPES.submit} ${SCOPES.read}`, ""),
          exp: fc.integer({ min: now - 3600, max: now + 3600 }),
          nbf: fc.integer({ min: now - 3600, max: now + 3600 }),
          iat: fc.integer({ min: now - 3600, max: now + 3600 }),
          client_id: fc.constantFrom(LOCAL_AUDIENCE, "other"),
          extra: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: ["iss", "exp"] },
      );
      await fc.assert(
        fc.asyncProperty(claims, fc.constantFrom("RS256", "RS384", "RS512"), route(), async (set, alg, target) => {
          const token = await new SignJWT(set as JWTPayload).setProtectedHeader({ alg, kid: issuer.kid }).sign(attackerByAlg[alg]);
          await expectRefused(`Bearer ${token}`, target);
        }),
        { numRuns: 200 },
      );
    });
  });
});
