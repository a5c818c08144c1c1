import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { expect } from "chai";
import type { ApiHandler } from "../../../handlers/api/handler";
import { silentLogger } from "../../../handlers/log";
import { PREFLIGHT_ROUTE_KEY } from "../../../handlers/routes";
import { createHttpFront, type FrontAuth, type HttpFront } from "../../../local/httpFront";
import { gatewayMessage, type AuthorizationRequest, type AuthorizationRoute } from "../../../local/localAuthorizer";

const OTHER_ORIGIN = "https://console.example.com";
const JWKS = { keys: [{ kty: "RSA", n: "AQAB", e: "AQAB", kid: "k1" }] };

/**
 * Which requests the local front sends through a closed stack's authorizer (as API Gateway
 * does: every route whose access is not public, and `$default`), what the authorizer sees, and
 * what the api then receives. A stub authorizer admits `Authorization: good`.
 */
describe("the local front on a closed stack", () => {
  let front: HttpFront;
  let origin: string;
  let checks: { request: AuthorizationRequest; route: AuthorizationRoute }[];
  let events: APIGatewayProxyEventV2[];

  const api: ApiHandler = async (event) => {
    events.push(event);
    return { statusCode: 200, headers: { "content-type": "application/json" }, body: "{}" };
  };
  const auth: FrontAuth = {
    mode: "jwt",
    authorizer: {
      async authorize(request, route) {
        checks.push({ request, route });
        if (request.headers.authorization === "good") return { ok: true, authorizer: { jwt: { claims: { sub: "alice" }, scopes: null } } };
        return { ok: false, response: gatewayMessage(401, "Unauthorized", { "www-authenticate": "Bearer" }) };
      },
    },
    issuer: { issuer: "https://cloudqueue.local/issuer", jwks: JWKS },
  };

  async function start(frontAuth: FrontAuth | undefined) {
    front = createHttpFront({ logger: silentLogger, corsOrigins: [OTHER_ORIGIN] });
    await new Promise<void>((resolve) => front.server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(front.server.address() as AddressInfo).port}`;
    front.ready(api, undefined, frontAuth);
  }

  beforeEach(() => {
    checks = [];
    events = [];
  });

  describe("with an authorizer", () => {
    before(() => start(auth));
    after(() => front.close());

    it("checks each route that is not public with its access, and passes the authorizer's context to the api", async () => {
      const submitted = await fetch(`${origin}/jobs?x=1&y=%20`, { method: "POST", headers: { authorization: "good", "content-type": "application/json", "x-extra": "a" }, body: '{"type":"t"}' });
      expect(submitted.status).to.equal(200);
      const read = await fetch(`${origin}/jobs/abc`, { headers: { authorization: "good" } });
      expect(read.status).to.equal(200);
      expect(checks.map(({ route }) => (route === "default" ? route : route.access))).to.deep.equal(["submit", "read"]);
      const { request } = checks[0]!;
      expect(request).to.deep.include({ method: "POST", path: "/jobs", rawQuery: "x=1&y=%20", host: origin.slice("http://".length) });
      expect(request.headers).to.include({ authorization: "good", "x-extra": "a", "content-type": "application/json" });
      expect(request.body.toString("utf8")).to.equal('{"type":"t"}');
      expect((events[0]!.requestContext as { authorizer?: unknown }).authorizer).to.deep.equal({ jwt: { claims: { sub: "alice" }, scopes: null } });
    });

    it("answers the authorizer's refusal as it is, with the CORS headers of any API answer, and never invokes the api", async () => {
      const response = await fetch(`${origin}/jobs`, { method: "POST", headers: { origin: OTHER_ORIGIN }, body: "{}" });
      expect(response.status).to.equal(401);
      expect(await response.text()).to.equal('{"message":"Unauthorized"}');
      expect(response.headers.get("content-type")).to.equal("application/json");
      expect(response.headers.get("www-authenticate")).to.equal("Bearer");
      expect(response.headers.get("access-control-allow-origin")).to.equal(OTHER_ORIGIN);
      expect(response.headers.get("access-control-expose-headers")).to.be.a("string");
      expect(events).to.have.length(0);
    });

    it("checks what reaches the api through $default: unknown paths and methods under the API's paths, HEAD, and other methods anywhere", async () => {
      for (const [method, path] of [["GET", "/jobs/a/b"], ["PATCH", "/jobs/abc"], ["HEAD", "/job-types"], ["POST", "/not-the-api"]] as const) {
        const response = await fetch(`${origin}${path}`, { method });
        expect(response.status, `${method} ${path}`).to.equal(401);
      }
      expect(checks.map((check) => check.route)).to.deep.equal(["default", "default", "default", "default"]);
      expect(events).to.have.length(0);
    });

    it("does not check the public route, preflights, pages, config.json or the issuer's documents", async () => {
      expect((await fetch(`${origin}/job-types`)).status).to.equal(200);
      const preflight = await fetch(`${origin}/jobs`, { method: "OPTIONS", headers: { origin: OTHER_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization" } });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).to.contain("authorization");
      expect((await fetch(`${origin}/`)).status).to.equal(200);
      expect(await (await fetch(`${origin}/config.json`)).json()).to.deep.equal({ apiUrl: origin, auth: "jwt" });
      expect(checks).to.have.length(0);
      expect(events.map((event) => event.routeKey)).to.deep.equal(["GET /job-types"]);
    });

    it("sends any other OPTIONS through the preflight route, which has no authorizer", async () => {
      await fetch(`${origin}/jobs/abc`, { method: "OPTIONS" });
      expect(checks).to.have.length(0);
      expect(events.map((event) => [event.routeKey, event.pathParameters])).to.deep.equal([[PREFLIGHT_ROUTE_KEY, { proxy: "jobs/abc" }]]);
    });

    it("serves the issuer's discovery document and public keys, and the site's 404 for anything else under /.well-known/", async () => {
      const configuration = await fetch(`${origin}/.well-known/openid-configuration`);
      expect(configuration.status).to.equal(200);
      expect(configuration.headers.get("content-type")).to.equal("application/json");
      expect(await configuration.json()).to.deep.equal({ issuer: "https://cloudqueue.local/issuer", jwks_uri: `${origin}/.well-known/jwks.json` });
      expect(await (await fetch(`${origin}/.well-known/jwks.json`)).json()).to.deep.equal(JWKS);
      for (const [method, path] of [["GET", "/.well-known/other"], ["POST", "/.well-known/jwks.json"]]) {
        const response = await fetch(`${origin}${path}`, { method });
        expect(response.status, path).to.equal(404);
        expect(response.headers.get("content-type"), path).to.match(/^text\/html/);
      }
      expect(checks).to.have.length(0);
      expect(events).to.have.length(0);
    });
  });

  describe("without an authorizer (authMode none)", () => {
    before(() => start(undefined));
    after(() => front.close());

    it("passes every API request to the api with no authorizer context, OPTIONS through $default, serves no /.well-known/, and tells the page auth none", async () => {
      expect((await fetch(`${origin}/jobs`, { method: "POST", body: "{}" })).status).to.equal(200);
      await fetch(`${origin}/jobs`, { method: "OPTIONS" });
      expect(events.map((event) => event.routeKey)).to.deep.equal(["POST /jobs", "$default"]);
      expect(events[0]!.requestContext).to.not.have.property("authorizer");
      expect((await fetch(`${origin}/.well-known/jwks.json`)).status).to.equal(404);
      expect(await (await fetch(`${origin}/config.json`)).json()).to.deep.equal({ apiUrl: origin, auth: "none" });
    });
  });
});
