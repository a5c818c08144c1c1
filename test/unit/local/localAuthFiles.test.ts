import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { idSecretPath, LocalAuthFileError, memoryIdSecret, openIdSecretFile } from "../../../local/idSecretFile";
import { issuerKeyPath, LOCAL_AUDIENCE, LOCAL_ISSUER, openIdConfiguration, openIssuer, openOrCreateIssuer } from "../../../local/oidcIssuer";

/** The local issuer's key and the id secret: made once, kept private, read back unchanged. */
describe("the local stack's auth files", () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), "cloudqueue-auth-test-"))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const modeOf = (path: string) => statSync(path).mode & 0o777;

  describe("the issuer key", () => {
    it("is made at the first start as a private JWK with its kid (mode 0600), and read back with the same kid later", async () => {
      expect(await openIssuer(dataDir)).to.equal(undefined);
      const first = await openOrCreateIssuer(dataDir);
      const path = issuerKeyPath(dataDir);
      expect(modeOf(path)).to.equal(0o600);
      expect(modeOf(dirname(path))).to.equal(0o700);
      const stored = JSON.parse(readFileSync(path, "utf8"));
      expect(stored).to.include({ kty: "RSA", alg: "RS256", kid: first.kid });
      expect(stored).to.have.property("d");
      const again = await openOrCreateIssuer(dataDir);
      expect(again.kid).to.equal(first.kid);
      expect(again.jwks).to.deep.equal(first.jwks);
    });

    it("publishes the public key only", async () => {
      const issuer = await openOrCreateIssuer(dataDir);
      expect(issuer.jwks.keys).to.have.length(1);
      expect(Object.keys(issuer.jwks.keys[0]!).sort()).to.deep.equal(["alg", "e", "kid", "kty", "n", "use"]);
    });

    it("signs tokens the JWKS verifies: iss, aud, sub, scope, iat and nbf now, exp now + ttl, the kid in the header", async () => {
      const issuer = await openOrCreateIssuer(dataDir);
      const nowMs = Date.now();
      const token = await issuer.sign({ sub: "alice", scope: "cloudqueue/read" }, 90, nowMs);
      const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks), { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, algorithms: ["RS256"] });
      const now = Math.floor(nowMs / 1000);
      expect(payload).to.include({ iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: "alice", scope: "cloudqueue/read", iat: now, nbf: now, exp: now + 90 });
      expect(decodeProtectedHeader(token)).to.deep.equal({ alg: "RS256", kid: issuer.kid, typ: "JWT" });
      const unscoped = await issuer.sign({ sub: "bob" }, 60);
      expect((await jwtVerify(unscoped, createLocalJWKSet(issuer.jwks))).payload).to.not.have.property("scope");
    });

    it("refuses a key file that is not a private RS256 JWK, naming it", async () => {
      mkdirSync(dirname(issuerKeyPath(dataDir)), { recursive: true });
      for (const text of ["not json", "{}", JSON.stringify({ kty: "RSA", alg: "RS256", n: "x", e: "AQAB" })]) {
        writeFileSync(issuerKeyPath(dataDir), text);
        const error = await openOrCreateIssuer(dataDir).then(() => undefined, (caught: unknown) => caught);
        expect(error, text).to.be.instanceOf(LocalAuthFileError);
        expect((error as Error).message).to.contain(issuerKeyPath(dataDir));
      }
    });

    it("names its key set on the origin it is served from in the discovery document", () => {
      expect(openIdConfiguration({ issuer: LOCAL_ISSUER }, "http://127.0.0.1:9")).to.deep.equal({ issuer: LOCAL_ISSUER, jwks_uri: "http://127.0.0.1:9/.well-known/jwks.json" });
    });
  });

  describe("the id secret", () => {
    it("is 32 random bytes made at the first start (mode 0600) and the same bytes after", async () => {
      const first = await openIdSecretFile(dataDir).get();
      expect(first).to.have.length(32);
      expect(modeOf(idSecretPath(dataDir))).to.equal(0o600);
      expect(Buffer.from(await openIdSecretFile(dataDir).get()).equals(Buffer.from(first))).to.equal(true);
    });

    it("refuses a file of another length rather than replace it", () => {
      mkdirSync(dirname(idSecretPath(dataDir)), { recursive: true });
      writeFileSync(idSecretPath(dataDir), Buffer.alloc(31));
      expect(() => openIdSecretFile(dataDir)).to.throw(LocalAuthFileError, /31 bytes/);
      expect(readFileSync(idSecretPath(dataDir))).to.have.length(31);
    });

    it("is new for each in-memory stack, and the same for the life of one", async () => {
      const one = memoryIdSecret();
      const two = memoryIdSecret();
      expect(Buffer.from(await one.get()).equals(Buffer.from(await two.get()))).to.equal(false);
      expect(await one.get()).to.equal(await one.get());
    });
  });
});
