import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JSONWebKeySet, type JWK } from "jose";
import * as v from "valibot";
import { LocalAuthFileError, writePrivateFile } from "./idSecretFile";

/**
 * The local issuer's identifier, the `iss` of its tokens. Fixed, not the front's URL: the owner
 * of a job is the token's issuer and subject, and a job must keep its owner when the stack
 * restarts on another port.
 */
export const LOCAL_ISSUER = "https://cloudqueue.local/issuer";

/** The `aud` of the local issuer's tokens, the one audience the local JWT authorizer accepts. */
export const LOCAL_AUDIENCE = "cloudqueue-local";

/** The one algorithm the local issuer signs with. */
export const LOCAL_SIGNING_ALGORITHM = "RS256";

/** Where the two discovery documents are served (public, as an OIDC issuer serves them). */
export const WELL_KNOWN = { openidConfiguration: "/.well-known/openid-configuration", jwks: "/.well-known/jwks.json" } as const;

/** `<dataDir>/auth/issuer-key.json`: the issuer's private key, a JWK with its `kid` (mode 0600). */
export function issuerKeyPath(dataDir: string): string {
  return join(resolve(dataDir), "auth", "issuer-key.json");
}

/** What a token of the local issuer says about its holder, besides `iss`, `aud` and the times. */
export interface TokenClaims {
  sub: string;
  /** Space-separated OAuth scopes, e.g. `cloudqueue/submit cloudqueue/read`; none when absent. */
  scope?: string;
}

/** The local OIDC issuer: one RS256 key pair, its public JWKS, and the tokens it signs. */
export interface LocalIssuer {
  issuer: string;
  audience: string;
  /** The key's id, its RFC 7638 thumbprint: each token's `kid`, the JWKS entry's `kid`. */
  kid: string;
  /** The public key only, as `jwks.json` serves it. */
  jwks: JSONWebKeySet;
  /** A signed token: `iat` and `nbf` now, `exp` now + `ttlSeconds`. */
  sign(claims: TokenClaims, ttlSeconds: number, nowMs?: number): Promise<string>;
}

/**
 * The issuer whose key is in `dataDir`, the key made (and kept, mode 0600) if there is none yet.
 * Throws {@link LocalAuthFileError} for a key file that cannot be read, written or understood.
 */
export async function openOrCreateIssuer(dataDir: string): Promise<LocalIssuer> {
  return (await openIssuer(dataDir)) ?? (await createIssuer(dataDir));
}

/**
 * The issuer whose key is in `dataDir`, or `undefined` when none was made there (`npm run token`
 * before the first `npm start -- --auth jwt`). Throws {@link LocalAuthFileError} for a broken file.
 */
export async function openIssuer(dataDir: string): Promise<LocalIssuer | undefined> {
  const path = issuerKeyPath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new LocalAuthFileError(`the issuer key ${path} cannot be read (${(error as Error).message})`, { cause: error });
  }
  const parsed = v.safeParse(PrivateRsaJwk, parseJson(text));
  if (!parsed.success) throw new LocalAuthFileError(`the issuer key ${path} is not an RS256 private JWK with a kid; delete it to make a new key (tokens signed with the old one stop working)`);
  return issuerFrom(parsed.output);
}

/** The discovery document of the issuer, whose key set is served on `origin`. */
export function openIdConfiguration(issuer: Pick<LocalIssuer, "issuer">, origin: string): { issuer: string; jwks_uri: string } {
  return { issuer: issuer.issuer, jwks_uri: `${origin}${WELL_KNOWN.jwks}` };
}

const PrivateRsaJwk = v.object({
  kty: v.literal("RSA"),
  alg: v.literal(LOCAL_SIGNING_ALGORITHM),
  kid: v.pipe(v.string(), v.minLength(1)),
  n: v.string(),
  e: v.string(),
  d: v.string(),
  p: v.string(),
  q: v.string(),
  dp: v.string(),
  dq: v.string(),
  qi: v.string(),
});
type PrivateRsaJwk = v.InferOutput<typeof PrivateRsaJwk>;

async function createIssuer(dataDir: string): Promise<LocalIssuer> {
  const { privateKey } = await generateKeyPair(LOCAL_SIGNING_ALGORITHM, { extractable: true });
  const exported = await exportJWK(privateKey);
  const jwk = { ...exported, alg: LOCAL_SIGNING_ALGORITHM, kid: await calculateJwkThumbprint({ kty: "RSA", n: exported.n!, e: exported.e! }) };
  const path = issuerKeyPath(dataDir);
  try {
    writePrivateFile(path, `${JSON.stringify(jwk, null, 2)}\n`);
  } catch (error) {
    throw new LocalAuthFileError(`the issuer key ${path} cannot be written (${(error as Error).message})`, { cause: error });
  }
  return issuerFrom(v.parse(PrivateRsaJwk, jwk));
}

async function issuerFrom(jwk: PrivateRsaJwk): Promise<LocalIssuer> {
  const privateKey = await importJWK(jwk, LOCAL_SIGNING_ALGORITHM);
  const publicJwk: JWK = { kty: jwk.kty, n: jwk.n, e: jwk.e, alg: jwk.alg, kid: jwk.kid, use: "sig" };
  return {
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    kid: jwk.kid,
    jwks: { keys: [publicJwk] },
    sign(claims, ttlSeconds, nowMs = Date.now()) {
      const now = Math.floor(nowMs / 1000);
      return new SignJWT({ ...(claims.scope !== undefined && { scope: claims.scope }) })
        .setProtectedHeader({ alg: LOCAL_SIGNING_ALGORITHM, kid: jwk.kid, typ: "JWT" })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setSubject(claims.sub)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + ttlSeconds)
        .setJti(randomUUID())
        .sign(privateKey);
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
