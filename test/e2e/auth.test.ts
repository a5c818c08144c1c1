import { exec, execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { SCOPES } from "../../handlers/auth/authMode";
import { issuerKeyPath, LOCAL_ISSUER } from "../../local/oidcIssuer";
import { waitFor } from "../helpers/waitFor";
import { checkedFetch } from "./helpers/checkedFetch";
import { SpawnedStack } from "./helpers/localStack";

const REPO = resolve(__dirname, "..", "..");
const OTHER_ORIGIN = "https://console.example.com";

/** Runs `npm run -s token -- <args>` in the repository, as a person would. */
function npmRunToken(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile("npm", ["run", "-s", "token", "--", ...args], { cwd: REPO }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function token(dataDir: string, sub: string, scope?: string): Promise<string> {
  const { code, stdout, stderr } = await npmRunToken(["--sub", sub, "--data-dir", dataDir, ...(scope === undefined ? [] : ["--scope", scope])]);
  if (code !== 0) throw new Error(`npm run token exited ${code}: ${stderr}`);
  const lines = stdout.trim().split("\n");
  expect(lines, "npm run -s token prints one line").to.have.length(1);
  return lines[0]!;
}

/**
 * `npm start -- --auth jwt` from outside its process, with tokens from `npm run token`: the API
 * is closed as API Gateway's JWT authorizer closes it, the public parts stay open, and each
 * caller sees only its own jobs (the admin scope sees all).
 */
describe("npm start -- --auth jwt", function () {
  this.timeout(90_000);
  let stack: SpawnedStack;
  let api: string;
  const tokens: Record<"alice" | "bob" | "admin" | "reader", string> = { alice: "", bob: "", admin: "", reader: "" };
  const as = (who: keyof typeof tokens, init: RequestInit = {}) => ({ ...init, headers: { "content-type": "application/json", ...(init.headers as Record<string, string>), authorization: `Bearer ${tokens[who]}` } });

  before(async () => {
    stack = await SpawnedStack.start({ extraArgs: ["--auth", "jwt", "--cors-origin", OTHER_ORIGIN] });
    api = stack.ready.apiUrl;
    const scoped = `${SCOPES.submit} ${SCOPES.read}`;
    [tokens.alice, tokens.bob, tokens.admin, tokens.reader] = await Promise.all([
      token(stack.dataDir, "alice", scoped),
      token(stack.dataDir, "bob"),
      token(stack.dataDir, "root", SCOPES.admin),
      token(stack.dataDir, "alice", SCOPES.read),
    ]);
  });
  after(async () => {
    if (!stack) return;
    expect(await stack.stop("SIGTERM"), "exit code after SIGTERM").to.equal(0);
    await stack.dispose();
  });

  it("says in its banner that the API is closed, names the issuer, and gives a token command that works as printed", async () => {
    const banner = stack.lines.join("\n");
    expect(banner).to.match(/^\s+Auth\s+jwt: the API is closed/m);
    expect(banner).to.contain(`issuer ${LOCAL_ISSUER}`);
    const command = /a token: (npm run .+?)\s{3}/.exec(banner)?.[1];
    expect(command).to.equal(`npm run -s token -- --sub alice --data-dir ${stack.dataDir}`);
    const printed = await new Promise<string>((done, fail) => exec(command!, { cwd: REPO }, (error, stdout) => (error ? fail(error) : done(stdout.trim()))));
    expect((await checkedFetch(`${api}/jobs/00000000-0000-4000-8000-000000000000`, { headers: { authorization: `Bearer ${printed}` } })).status).to.equal(404);
  });

  it("keeps its issuer key in the data folder, readable by this user only", () => {
    expect(statSync(issuerKeyPath(stack.dataDir)).mode & 0o777).to.equal(0o600);
  });

  it("answers a job route without a token 401 with API Gateway's exact body and www-authenticate, CORS headers included", async () => {
    for (const [method, path] of [["POST", "/jobs"], ["GET", "/jobs/00000000-0000-4000-8000-000000000000"], ["DELETE", "/jobs/00000000-0000-4000-8000-000000000000"], ["GET", "/jobs/a/b"]]) {
      const response = await checkedFetch(`${api}${path}`, { method, headers: { origin: OTHER_ORIGIN } });
      expect(response.status, `${method} ${path}`).to.equal(401);
      expect(await response.text()).to.equal('{"message":"Unauthorized"}');
      expect(response.headers.get("content-type")).to.equal("application/json");
      expect(response.headers.get("www-authenticate")).to.equal("Bearer");
      expect(response.headers.get("access-control-allow-origin")).to.equal(OTHER_ORIGIN);
    }
    const bad = await checkedFetch(`${api}/jobs`, { method: "POST", headers: { authorization: `Bearer ${tokens.alice.slice(0, -2)}` } });
    expect(bad.status).to.equal(401);
    expect(bad.headers.get("www-authenticate")).to.equal('Bearer error="invalid_token"');
  });

  it("answers a valid token without the route's scope 403 Forbidden", async () => {
    const response = await checkedFetch(`${api}/jobs`, as("reader", { method: "POST", body: JSON.stringify({ type: "text.transform", payload: { text: "x" } }) }));
    expect(response.status).to.equal(403);
    expect(await response.text()).to.equal('{"message":"Forbidden"}');
  });

  it("keeps GET /job-types, CORS preflights, other OPTIONS, the page and the issuer's documents open without a token", async () => {
    expect((await checkedFetch(`${api}/job-types`)).status).to.equal(200);
    const preflight = await checkedFetch(`${api}/jobs`, { method: "OPTIONS", headers: { origin: OTHER_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers.get("access-control-allow-origin")).to.equal(OTHER_ORIGIN);
    // An OPTIONS that is not a preflight takes the preflight route (no authorizer) to the api.
    expect((await checkedFetch(`${api}/jobs/abc`, { method: "OPTIONS" })).status).to.equal(204);
    expect((await fetch(stack.ready.pageUrl)).status).to.equal(200);
    expect(await (await fetch(`${api}/config.json`)).json()).to.deep.equal({ apiUrl: api, auth: "jwt" });
    const configuration = (await (await fetch(`${api}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    expect(configuration).to.deep.equal({ issuer: LOCAL_ISSUER, jwks_uri: `${api}/.well-known/jwks.json` });
    const jwks = (await (await fetch(configuration.jwks_uri)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).to.have.length(1);
    expect(jwks.keys[0]).to.include({ kty: "RSA", alg: "RS256" }).and.not.have.any.keys("d", "p", "q", "dp", "dq", "qi");
  });

  it("runs a job submitted with a token", async () => {
    const submitted = await checkedFetch(`${api}/jobs`, as("alice", { method: "POST", body: JSON.stringify({ type: "text.transform", payload: { text: "hello" } }) }));
    expect(submitted.status).to.equal(202);
    const { jobId } = (await submitted.json()) as { jobId: string };
    const job = await waitFor("the job to succeed", async () => {
      const read = (await (await checkedFetch(`${api}/jobs/${jobId}`, as("alice"))).json()) as { status: string };
      return read.status === "SUCCEEDED" ? read : undefined;
    });
    expect(job).to.include({ status: "SUCCEEDED" });
  });

  describe("tenancy (each owner its own jobs; the admin scope all of them)", () => {
    let jobId: string;
    before(async () => {
      // Delayed, so it is still queued when bob and the admin try to cancel it.
      const submitted = await checkedFetch(`${api}/jobs`, as("alice", { method: "POST", body: JSON.stringify({ type: "text.transform", payload: { text: "alice's" }, delaySeconds: 600 }) }));
      expect(submitted.status).to.equal(202);
      jobId = ((await submitted.json()) as { jobId: string }).jobId;
    });

    it("answers bob 404 for alice's job: read, cancel and retry", async () => {
      for (const [method, path] of [["GET", `/jobs/${jobId}`], ["DELETE", `/jobs/${jobId}`], ["POST", `/jobs/${jobId}/retry`]]) {
        const response = await checkedFetch(`${api}${path}`, as("bob", { method }));
        expect(response.status, `${method} ${path}`).to.equal(404);
      }
      expect((await checkedFetch(`${api}/jobs/${jobId}`, as("alice"))).status).to.equal(200);
    });

    it("lets a token with the admin scope read and cancel alice's job, and alice retry it", async () => {
      expect((await checkedFetch(`${api}/jobs/${jobId}`, as("admin"))).status).to.equal(200);
      const canceled = await checkedFetch(`${api}/jobs/${jobId}`, as("admin", { method: "DELETE" }));
      expect(canceled.status).to.equal(200);
      expect(await canceled.json()).to.include({ status: "CANCELED" });
      expect((await checkedFetch(`${api}/jobs/${jobId}/retry`, as("bob", { method: "POST" }))).status).to.equal(404);
      expect((await checkedFetch(`${api}/jobs/${jobId}/retry`, as("alice", { method: "POST" }))).status).to.equal(202);
    });

    it("keeps Idempotency-Keys per owner: two jobs for one key, each replayed to its owner, a conflict only for its own owner", async () => {
      const key = `e2e-${Date.now()}`;
      const submit = (who: "alice" | "bob", text: string) =>
        checkedFetch(`${api}/jobs`, as(who, { method: "POST", headers: { "idempotency-key": key }, body: JSON.stringify({ type: "text.transform", payload: { text }, delaySeconds: 600 }) }));
      const first = await submit("alice", "same");
      const second = await submit("bob", "same");
      expect([first.status, second.status]).to.deep.equal([202, 202]);
      const alicesJob = ((await first.json()) as { jobId: string }).jobId;
      const bobsJob = ((await second.json()) as { jobId: string }).jobId;
      expect(alicesJob).to.not.equal(bobsJob);

      const aliceReplay = await submit("alice", "same");
      expect(aliceReplay.status).to.equal(200);
      expect(aliceReplay.headers.get("idempotent-replayed")).to.equal("true");
      expect(((await aliceReplay.json()) as { jobId: string }).jobId).to.equal(alicesJob);
      expect((await submit("alice", "different")).status).to.equal(422);
      const bobReplay = await submit("bob", "same");
      expect(bobReplay.status).to.equal(200);
      expect(((await bobReplay.json()) as { jobId: string }).jobId).to.equal(bobsJob);
    });
  });

  it("npm run token: one line on stderr and exit 2 for a bad option, exit 1 where no key exists", async () => {
    const badOptions = [["--sub", "alice", "--ttl", "2y"], ["--sub", "alice", "--ttl", "366d"], ["--scope", "x"], ["--sub", "alice", "--nope"]];
    const results = await Promise.all(badOptions.map((args) => npmRunToken(args)));
    for (const [index, args] of badOptions.entries()) {
      const result = results[index]!;
      expect(result.code, args.join(" ")).to.equal(2);
      expect(result.stdout, args.join(" ")).to.equal("");
      expect(result.stderr.trim().split("\n"), args.join(" ")).to.have.length(1);
    }
    const empty = mkdtempSync(join(tmpdir(), "cloudqueue-no-key-"));
    try {
      const result = await npmRunToken(["--sub", "alice", "--data-dir", empty]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.contain("start `npm start -- --auth jwt` once first");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  describe("across a restart", () => {
    it("keeps the key and the owners across a restart on another port: a token minted before still reads its job", async () => {
      const submitted = await checkedFetch(`${api}/jobs`, as("alice", { method: "POST", body: JSON.stringify({ type: "text.transform", payload: { text: "kept" }, delaySeconds: 600 }) }));
      const { jobId } = (await submitted.json()) as { jobId: string };
      expect(await stack.stop("SIGTERM")).to.equal(0);
      stack = await SpawnedStack.start({ dataDir: stack.dataDir, extraArgs: ["--auth", "jwt"] });
      expect(stack.ready.apiUrl).to.not.equal(api);
      api = stack.ready.apiUrl;
      expect((await checkedFetch(`${api}/jobs/${jobId}`, as("alice"))).status).to.equal(200);
      expect((await checkedFetch(`${api}/jobs/${jobId}`, as("bob"))).status).to.equal(404);
    });
  });
});
