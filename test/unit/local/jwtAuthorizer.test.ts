import { createHmac } from "node:crypto";
import { expect } from "chai";
import fc from "fast-check";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload } from "jose";
import { SCOPES } from "../../../handlers/auth/authMode";
import { createJwtAuthorizer, flattenClaims, type JwtAuthorizerOptions } from "../../../local/jwtAuthorizer";
import type { AuthorizationRequest, AuthorizationResult, AuthorizationRoute } from "../../../local/localAuthorizer";

const ISSUER = "https://issuer.example";
const AUDIENCE = "cloudqueue-test";
/** The authorizer's clock: every time claim below is relative to it. */
const NOW_S = 1_800_000_000;
const KID = "key-1";

const UNAUTHORIZED = { statusCode: 401, headers: { "content-type": "application/json", "www-authenticate": "Bearer" }, body: '{"message":"Unauthorized"}' };
const INVALID = { statusCode: 401, headers: { "content-type": "application/json", "www-authenticate": 'Bearer error="invalid_token"' }, body: '{"message":"Unauthorized"}' };
const FORBIDDEN = { statusCode: 403, headers: { "content-type": "application/json", "www-authenticate": 'Bearer error="insufficient_scope"' }, body: '{"message":"Forbidden"}' };

const submitRoute: AuthorizationRoute = { access: "submit" };
const readRoute: AuthorizationRoute = { access: "read" };

describe("the local JWT authorizer (API Gateway's HTTP API JWT authorizer)", () => {
  let signingKey: CryptoKey;
  let otherKey: CryptoKey;
  let ecKey: CryptoKey;
  let jwks: JSONWebKeySet;
  let publicJwk: JWK;

  before(async () => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    signingKey = pair.privateKey;
    otherKey = (await generateKeyPair("RS256")).privateKey;
    const ec = await generateKeyPair("ES256", { extractable: true });
    ecKey = ec.privateKey;
    // No `alg` on the RSA key: like many issuers' JWKS, so RS384 and RS512 tokens verify with it.
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, use: "sig" };
    jwks = { keys: [publicJwk, { ...(await exportJWK(ec.publicKey)), kid: "ec-key" }] };
  });

  function authorizer(options: Partial<JwtAuthorizerOptions> = {}) {
    return createJwtAuthorizer({ issuer: ISSUER, audience: AUDIENCE, jwks, now: () => NOW_S * 1000, ...options });
  }

  function baseClaims(): JWTPayload {
    return { iss: ISSUER, aud: AUDIENCE, sub: "alice", iat: NOW_S - 10, nbf: NOW_S - 10, exp: NOW_S + 3600, scope: `${SCOPES.submit} ${SCOPES.read}` };
  }

  async function token(claims: JWTPayload = baseClaims(), header: { alg?: string; kid?: string | undefined } = {}, key: CryptoKey = signingKey): Promise<string> {
    // `kid: undefined` in `header`: a token without a kid.
    const kid = "kid" in header ? header.kid : KID;
    return new SignJWT(claims).setProtectedHeader({ alg: header.alg ?? "RS256", ...(kid !== undefined && { kid }) }).sign(key);
  }

  function request(authorization?: string): AuthorizationRequest {
    return { method: "POST", path: "/jobs", rawQuery: "", headers: authorization === undefined ? {} : { authorization }, body: Buffer.alloc(0), host: "127.0.0.1:8080" };
  }

  async function authorize(authorization: string | undefined, route: AuthorizationRoute = submitRoute, options: Partial<JwtAuthorizerOptions> = {}): Promise<AuthorizationResult> {
    return authorizer(options).authorize(request(authorization), route);
  }

  function refusal(result: AuthorizationResult) {
    if (result.ok) throw new Error(`admitted: ${JSON.stringify(result.authorizer)}`);
    return { statusCode: result.response.statusCode, headers: result.response.headers, body: result.response.body.toString("utf8") };
  }

  function admitted(result: AuthorizationResult): { jwt: { claims: Record<string, string>; scopes: string[] | null } } {
    if (!result.ok) throw new Error(`refused: ${result.response.statusCode} ${result.response.headers["www-authenticate"]}`);
    return result.authorizer as never;
  }

  describe("the identity source", () => {
    it("answers 401 with `www-authenticate: Bearer` and no error when there is no token", async () => {
      for (const authorization of [undefined, "", "   "]) expect(refusal(await authorize(authorization)), JSON.stringify(authorization)).to.deep.equal(UNAUTHORIZED);
    });

    it("takes the token after `Bearer ` and the token alone", async () => {
      const jwt = await token();
      for (const authorization of [`Bearer ${jwt}`, jwt, `bearer ${jwt}`]) expect(admitted(await authorize(authorization)).jwt.claims.sub).to.equal("alice");
    });

    it("answers 401 invalid_token for `Bearer` alone, another scheme, and garbage", async () => {
      const jwt = await token();
      for (const authorization of ["Bearer", "Bearer ", `Basic ${Buffer.from("alice:secret").toString("base64")}`, `Basic ${jwt}`, "a.b.c", "...", "eyJ.eyJ.", `${jwt},${jwt}`]) {
        expect(refusal(await authorize(authorization)), authorization).to.deep.equal(INVALID);
      }
    });
  });

  describe("the algorithm, the key and the signature", () => {
    it("accepts RS256, RS384 and RS512 signed by a key of the JWKS", async () => {
      // A WebCrypto RSA key is bound to one hash: the same key material, imported per algorithm.
      const privateJwk = await exportJWK(signingKey);
      for (const alg of ["RS256", "RS384", "RS512"]) {
        const key = (await importJWK(privateJwk, alg)) as CryptoKey;
        expect(admitted(await authorize(await token(baseClaims(), { alg }, key))).jwt.claims.iss, alg).to.equal(ISSUER);
      }
    });

    it("refuses `alg: none`, HS256 keyed with the public key, and ES256 even with its key in the JWKS", async () => {
      const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
      const unsigned = `${encode({ alg: "none", kid: KID })}.${encode(baseClaims())}.`;
      const hmacInput = `${encode({ alg: "HS256", kid: KID })}.${encode(baseClaims())}`;
      const hmac = `${hmacInput}.${createHmac("sha256", JSON.stringify(publicJwk)).update(hmacInput).digest("base64url")}`;
      const ec = await token(baseClaims(), { alg: "ES256", kid: "ec-key" }, ecKey);
      for (const [name, jwt] of [["none", unsigned], ["HS256", hmac], ["ES256", ec]]) expect(refusal(await authorize(jwt)), name).to.deep.equal(INVALID);
    });

    it("refuses a token without a kid, with a kid the JWKS lacks, and one signed by another key", async () => {
      for (const jwt of [await token(baseClaims(), { kid: undefined }), await token(baseClaims(), { kid: "key-2" }), await token(baseClaims(), {}, otherKey)]) {
        expect(refusal(await authorize(jwt))).to.deep.equal(INVALID);
      }
    });

    it("refuses a payload changed after signing and a changed signature", async () => {
      const [header, payload, signature] = (await token()).split(".") as [string, string, string];
      const changed = Buffer.from(JSON.stringify({ ...baseClaims(), sub: "bob" })).toString("base64url");
      const flipped = `${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`;
      expect(refusal(await authorize(`${header}.${changed}.${signature}`))).to.deep.equal(INVALID);
      expect(refusal(await authorize(`${header}.${payload}.${flipped}`))).to.deep.equal(INVALID);
    });
  });

  describe("the claims", () => {
    const cases: [string, (claims: JWTPayload) => void][] = [
      ["another iss", (claims) => (claims.iss = "https://evil.example")],
      ["no iss", (claims) => delete claims.iss],
      ["another aud", (claims) => (claims.aud = "someone-else")],
      ["an aud list without the audience", (claims) => (claims.aud = ["a", "b"])],
      ["an aud that does not match, though client_id does", (claims) => Object.assign(claims, { aud: "other", client_id: AUDIENCE })],
      ["no aud and another client_id", (claims) => Object.assign(claims, { aud: undefined, client_id: "other" })],
      ["neither aud nor client_id", (claims) => delete claims.aud],
      ["exp in the past", (claims) => (claims.exp = NOW_S - 1)],
      ["exp now", (claims) => (claims.exp = NOW_S)],
      ["no exp", (claims) => delete claims.exp],
      ["an exp that is not a number", (claims) => Object.assign(claims, { exp: String(NOW_S + 3600) })],
      ["nbf in the future", (claims) => (claims.nbf = NOW_S + 1)],
      ["iat in the future", (claims) => (claims.iat = NOW_S + 1)],
    ];
    for (const [name, change] of cases) {
      it(`refuses a token with ${name} (401 invalid_token)`, async () => {
        const claims = baseClaims();
        change(claims);
        expect(refusal(await authorize(await token(JSON.parse(JSON.stringify(claims)))))).to.deep.equal(INVALID);
      });
    }

    it("accepts an aud list holding the audience, client_id when there is no aud, and nbf and iat of this very second", async () => {
      const { aud: _aud, ...withoutAud } = baseClaims();
      for (const claims of [{ ...baseClaims(), aud: ["other", AUDIENCE] }, { ...withoutAud, client_id: AUDIENCE }, { ...baseClaims(), nbf: NOW_S, iat: NOW_S }, { ...baseClaims(), nbf: undefined, iat: undefined }]) {
        expect(admitted(await authorize(await token(JSON.parse(JSON.stringify(claims))))).jwt.claims.sub, JSON.stringify(claims)).to.equal("alice");
      }
    });
  });

  describe("the scopes", () => {
    it("answers 403 Forbidden to a valid token without any of the route's scopes", async () => {
      const readOnly = await token({ ...baseClaims(), scope: SCOPES.read });
      const none = await token({ ...baseClaims(), scope: undefined });
      const numeric = await token({ ...baseClaims(), scope: 7 as never });
      expect(refusal(await authorize(readOnly, submitRoute))).to.deep.equal(FORBIDDEN);
      expect(refusal(await authorize(await token({ ...baseClaims(), scope: SCOPES.submit }), readRoute))).to.deep.equal(FORBIDDEN);
      for (const jwt of [none, numeric]) expect(refusal(await authorize(jwt, readRoute))).to.deep.equal(FORBIDDEN);
    });

    it("takes scopes from `scope` (space-separated) and from `scp` (a string or a list), and the admin scope for every route", async () => {
      const scp = await token({ ...baseClaims(), scope: undefined, scp: [SCOPES.submit] });
      const scpText = await token({ ...baseClaims(), scope: undefined, scp: `other ${SCOPES.read}` });
      const admin = await token({ ...baseClaims(), scope: SCOPES.admin });
      expect(admitted(await authorize(scp, submitRoute)).jwt.scopes).to.deep.equal([SCOPES.submit]);
      expect(admitted(await authorize(scpText, readRoute)).jwt.scopes).to.deep.equal(["other", SCOPES.read]);
      for (const route of [submitRoute, readRoute]) expect(admitted(await authorize(admin, route)).jwt.scopes).to.deep.equal([SCOPES.admin]);
    });

    it("passes the token's scopes when the route requires scopes, and null when it does not ($default, or scopes not required)", async () => {
      const jwt = await token();
      expect(admitted(await authorize(jwt, submitRoute)).jwt.scopes).to.deep.equal([SCOPES.submit, SCOPES.read]);
      expect(admitted(await authorize(jwt, "default")).jwt.scopes).to.equal(null);
      const unscoped = await token({ ...baseClaims(), scope: undefined });
      expect(admitted(await authorize(unscoped, "default")).jwt.scopes).to.equal(null);
      expect(admitted(await authorize(unscoped, submitRoute, { requireScopes: false })).jwt.scopes).to.equal(null);
    });

    it("still checks the token on the $default route", async () => {
      expect(refusal(await authorize(undefined, "default"))).to.deep.equal(UNAUTHORIZED);
      expect(refusal(await authorize(await token(baseClaims(), {}, otherKey), "default"))).to.deep.equal(INVALID);
    });
  });

  describe("the claims passed to the function", () => {
    it("passes every claim as a string, as API Gateway flattens them", async () => {
      const claims = { ...baseClaims(), email_verified: true, groups: ["a", "b"], address: { country: "NL" }, amount: 1.5, nothing: null };
      expect(admitted(await authorize(await token(claims))).jwt.claims).to.deep.equal({
        iss: ISSUER,
        aud: AUDIENCE,
        sub: "alice",
        iat: String(NOW_S - 10),
        nbf: String(NOW_S - 10),
        exp: String(NOW_S + 3600),
        scope: `${SCOPES.submit} ${SCOPES.read}`,
        email_verified: "true",
        groups: "[a b]",
        address: '{"country":"NL"}',
        amount: "1.5",
        nothing: "null",
      });
      expect(flattenClaims({ aud: ["x", "y"] })).to.deep.equal({ aud: "[x y]" });
    });
  });

  it("answers any header value with a 401, never a rejection (fast-check)", async () => {
    const jwt = await token();
    const [header, payload] = jwt.split(".") as [string, string, string];
    const value = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ maxLength: 200 }).map((text) => `Bearer ${text}`),
      fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((parts) => parts.join(".")),
      fc.string({ maxLength: 100 }).map((text) => `${header}.${payload}.${Buffer.from(text).toString("base64url")}`),
      fc.json().map((json) => `${Buffer.from(JSON.stringify({ alg: "RS256", kid: KID })).toString("base64url")}.${Buffer.from(json).toString("base64url")}.`),
    );
    await fc.assert(
      fc.asyncProperty(value, async (authorization) => {
        const result = await authorize(authorization);
        expect(result.ok).to.equal(false);
        expect(refusal(result).statusCode).to.equal(401);
      }),
      { numRuns: 300 },
    );
  });
});
