import { expect } from "chai";
import { AUTH_MODES, routeScopes, SCOPES, type AuthMode } from "../../handlers/auth/authMode";
import { authSettingsFromEnv } from "../../handlers/auth/authSettings";
import { DEFAULT_ROUTE_KEY, PREFLIGHT_ROUTE_KEY, routeKey, routes } from "../../handlers/routes";
import { ENV } from "../../handlers/settings";
import { ALL_VIEWER_EXCEPT_HOST_POLICY_ID, CACHING_DISABLED_POLICY_ID } from "../../infra/site";
import { AUTH_CONFIGS, named, ofType, promiseOf, sharedRun, siteFixture, type DeclaredResource, type ProgramRun } from "./program";

const ROUTE = "aws:apigatewayv2/route:Route";
const AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer";
const FUNCTIONS = ["api", "worker", "sweeper"] as const;

function declaredRoute(run: ProgramRun, key: string): DeclaredResource | undefined {
  const found = ofType(run, ROUTE).filter((route) => route.inputs.routeKey === key);
  expect(found.length, `routes keyed ${key}`).to.be.at.most(1);
  return found[0];
}

function lambda(run: ProgramRun, fn: (typeof FUNCTIONS)[number]): DeclaredResource {
  return named(run, `cloudqueue-${fn}`, "aws:lambda/function:Function");
}

/** The statements of the inline policy of a function's own role. */
function policyOf(run: ProgramRun, fn: (typeof FUNCTIONS)[number]): Array<{ Action: string[]; Resource: string[] }> {
  const role = ofType(run, "aws:iam/role:Role").find((candidate) => candidate.state.arn === lambda(run, fn).inputs.role)!;
  return JSON.parse(ofType(run, "aws:iam/rolePolicy:RolePolicy").find((policy) => policy.inputs.role === role.id)!.inputs.policy).Statement;
}

/** Whether IAM's ArnLike would match `arn` against `pattern` (`*` any characters, slashes too; `?` one). */
function arnLike(pattern: string, arn: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(arn);
}

describe("infra: authMode none, jwt and iam under mocks", function () {
  this.timeout(60_000);
  const runs = {} as Record<AuthMode, ProgramRun>;

  before(async () => {
    for (const mode of AUTH_MODES) runs[mode] = await sharedRun(AUTH_CONFIGS[mode], siteFixture());
  });

  describe("jwt", () => {
    it("tells the api that scopes are required, so that it checks them itself where API Gateway does not ($default)", () => {
      const variables = lambda(runs.jwt, "api").inputs.environment.variables;

      expect(variables[ENV.jwtRequireScopes]).to.equal("true");
      expect(authSettingsFromEnv(variables).requireScopes).to.equal(true);
      expect(lambda(runs.iam, "api").inputs.environment.variables).to.not.have.property(ENV.jwtRequireScopes);
    });

    it("declares one JWT authorizer on the API, reading the Authorization header, for the configured issuer and audiences", () => {
      const run = runs.jwt;

      const authorizers = ofType(run, AUTHORIZER);

      expect(authorizers.map((authorizer) => authorizer.name)).to.deep.equal(["cloudqueue-jwt-authorizer"]);
      expect(authorizers[0]!.inputs).to.deep.include({
        apiId: named(run, "cloudqueue-api", "aws:apigatewayv2/api:Api").id,
        authorizerType: "JWT",
        identitySources: ["$request.header.Authorization"],
        jwtConfiguration: { issuer: AUTH_CONFIGS.jwt.jwtIssuer, audiences: [...AUTH_CONFIGS.jwt.jwtAudiences] },
      });
    });

    it("puts the authorizer and the route's scopes (its own or admin) on every non-public route, none on GET /job-types", () => {
      const run = runs.jwt;
      const authorizerId = named(run, "cloudqueue-jwt-authorizer").id;

      for (const route of routes) {
        const inputs = declaredRoute(run, routeKey(route))!.inputs;
        if (route.access === "public") {
          expect(inputs.authorizationType, routeKey(route)).to.equal("NONE");
          expect(inputs.authorizerId, routeKey(route)).to.equal(undefined);
          continue;
        }
        expect(inputs, routeKey(route)).to.include({ authorizationType: "JWT", authorizerId });
        expect(inputs.authorizationScopes, routeKey(route)).to.deep.equal(routeScopes(route)).and.include(SCOPES.admin);
      }
      expect(declaredRoute(run, "GET /job-types")!.inputs.authorizationType).to.equal("NONE");
      expect(declaredRoute(run, "POST /jobs")!.inputs.authorizationScopes).to.deep.equal([SCOPES.submit, SCOPES.admin]);
      expect(declaredRoute(run, "GET /jobs/{jobId}")!.inputs.authorizationScopes).to.deep.equal([SCOPES.read, SCOPES.admin]);
    });

    it("authorizes $default with the same authorizer and no scopes: it answers only the api's 404 and 405", () => {
      const inputs = declaredRoute(runs.jwt, DEFAULT_ROUTE_KEY)!.inputs;

      expect(inputs).to.include({ authorizationType: "JWT", authorizerId: named(runs.jwt, "cloudqueue-jwt-authorizer").id });
      expect(inputs.authorizationScopes ?? []).to.deep.equal([]);
    });

    it("checks no scopes on any route with jwtRequireScopes false, and still the authorizer on each", async () => {
      const run = await sharedRun({ ...AUTH_CONFIGS.jwt, jwtRequireScopes: false }, siteFixture());
      const authorizerId = named(run, "cloudqueue-jwt-authorizer").id;

      for (const route of routes.filter((candidate) => candidate.access !== "public")) {
        const inputs = declaredRoute(run, routeKey(route))!.inputs;
        expect(inputs, routeKey(route)).to.include({ authorizationType: "JWT", authorizerId });
        expect(inputs.authorizationScopes ?? [], routeKey(route)).to.deep.equal([]);
      }
    });
  });

  describe("iam", () => {
    it("requires SigV4 (AWS_IAM, no authorizer resource) on every non-public route and $default, none on GET /job-types", () => {
      const run = runs.iam;

      expect(ofType(run, AUTHORIZER)).to.deep.equal([]);
      for (const route of routes) {
        const inputs = declaredRoute(run, routeKey(route))!.inputs;
        expect(inputs.authorizationType, routeKey(route)).to.equal(route.access === "public" ? "NONE" : "AWS_IAM");
        expect(inputs.authorizerId, routeKey(route)).to.equal(undefined);
        expect(inputs.authorizationScopes, routeKey(route)).to.equal(undefined);
      }
      expect(declaredRoute(run, DEFAULT_ROUTE_KEY)!.inputs.authorizationType).to.equal("AWS_IAM");
    });

    it("tells the api the admins, comma-joined, as the api reads them", () => {
      const variables = lambda(runs.iam, "api").inputs.environment.variables;

      expect(variables[ENV.adminPrincipals]).to.equal(AUTH_CONFIGS.iam.iamAdminArns.join(","));
      expect(authSettingsFromEnv(variables).adminPrincipals).to.deep.equal([...AUTH_CONFIGS.iam.iamAdminArns]);
    });
  });

  describe("none", () => {
    it("declares no authorizer and no preflight route, and leaves every route and $default open", () => {
      const run = runs.none;

      expect(ofType(run, AUTHORIZER)).to.deep.equal([]);
      expect(declaredRoute(run, PREFLIGHT_ROUTE_KEY)).to.equal(undefined);
      for (const key of [...routes.map(routeKey), DEFAULT_ROUTE_KEY]) {
        const inputs = declaredRoute(run, key)!.inputs;
        expect(inputs.authorizationType ?? "NONE", key).to.equal("NONE");
        expect(inputs.authorizerId, key).to.equal(undefined);
      }
      expect(ofType(run, ROUTE)).to.have.length(routes.length + 1);
    });
  });

  describe("the CORS preflight route", () => {
    for (const mode of ["jwt", "iam"] as const) {
      it(`${mode}: takes every OPTIONS request unauthorized to the api's one integration, invoked under $default's permission`, async () => {
        const run = runs[mode];
        const api = named(run, "cloudqueue-api", "aws:apigatewayv2/api:Api");
        const integration = named(run, "cloudqueue-lambda");

        const preflight = declaredRoute(run, PREFLIGHT_ROUTE_KEY);

        expect(preflight?.name).to.equal("cloudqueue-preflight");
        expect(preflight!.inputs).to.include({ apiId: api.id, target: `integrations/${integration.id}`, authorizationType: "NONE" });
        expect(preflight!.inputs.authorizerId).to.equal(undefined);
        // No permission of its own: $default's `<api>/*/*` admits `<api>/<stage>/OPTIONS/<path>`.
        const permissions = ofType(run, "aws:lambda/permission:Permission").filter((permission) => permission.inputs.principal === "apigateway.amazonaws.com");
        expect(permissions).to.have.length(routes.length + 1);
        const defaultPermission = named(run, "cloudqueue-default-route-invoke").inputs.sourceArn;
        expect(arnLike(defaultPermission, `${api.state.executionArn}/$default/OPTIONS/jobs/0b4f8c8e/retry`)).to.equal(true);
        expect(arnLike(defaultPermission, `${api.state.executionArn.replace(/-id$/, "-other")}/$default/OPTIONS/jobs`)).to.equal(false);
        // The stage is deployed with it.
        expect(named(run, "cloudqueue-stage").dependsOn).to.include("cloudqueue-preflight");
      });
    }
  });

  describe("the id key", () => {
    for (const mode of AUTH_MODES) {
      it(`${mode}: one KMS HMAC key, MACs only, 30-day deletion window, the default key policy`, () => {
        const keys = ofType(runs[mode], "aws:kms/key:Key");

        expect(keys.map((key) => key.name)).to.deep.equal(["cloudqueue-id-key"]);
        expect(keys[0]!.inputs).to.include({ customerMasterKeySpec: "HMAC_256", keyUsage: "GENERATE_VERIFY_MAC", deletionWindowInDays: 30, enableKeyRotation: false });
        expect(keys[0]!.inputs.description).to.be.a("string").and.match(/GenerateMac/);
        expect(keys[0]!.inputs.policy).to.equal(undefined);
      });

      it(`${mode}: the api's environment names the key, the generation and the mode, parses as the api reads it, and holds nothing secret`, async () => {
        const run = runs[mode];
        const keyArn = await promiseOf(run.stack.idKey.arn);
        const variables: Record<string, string> = lambda(run, "api").inputs.environment.variables;

        expect(variables).to.include({ [ENV.authMode]: mode, [ENV.idKeyArn]: keyArn, [ENV.idKeyGeneration]: "1" });
        expect(authSettingsFromEnv(variables)).to.deep.include({ mode, idKeyArn: keyArn, idKeyGeneration: 1 });
        if (mode !== "iam") expect(variables).to.not.have.property(ENV.adminPrincipals);
        // Every value is a name, a number or a mode: nothing a caller could use as a secret.
        const auth = [ENV.authMode, ENV.idKeyArn, ENV.idKeyGeneration, ENV.adminPrincipals].filter((name) => name in variables).map((name) => variables[name]!);
        for (const value of auth) expect(value).to.match(/^(none|jwt|iam|\d+|arn:aws:(kms|iam):[^\s]+)$/);
      });

      it(`${mode}: grants the api exactly kms:GenerateMac on exactly the key, and the worker and the sweeper nothing on KMS`, async () => {
        const run = runs[mode];
        const keyArn = await promiseOf(run.stack.idKey.arn);

        const kmsStatements = (fn: (typeof FUNCTIONS)[number]) => policyOf(run, fn).filter((statement) => statement.Action.some((action) => action.startsWith("kms:")));

        expect(kmsStatements("api")).to.deep.equal([{ Effect: "Allow", Action: ["kms:GenerateMac"], Resource: [keyArn] }]);
        expect(kmsStatements("worker")).to.deep.equal([]);
        expect(kmsStatements("sweeper")).to.deep.equal([]);
        for (const fn of ["worker", "sweeper"] as const) {
          const variables = lambda(run, fn).inputs.environment.variables;
          for (const name of [ENV.authMode, ENV.idKeyArn, ENV.idKeyGeneration, ENV.adminPrincipals]) expect(variables, `${fn} ${name}`).to.not.have.property(name);
        }
      });
    }

    it("passes a raised idKeyGeneration on to the api, which derives a new secret from it", async () => {
      const run = await sharedRun({ idKeyGeneration: 3 }, siteFixture());

      const variables = lambda(run, "api").inputs.environment.variables;

      expect(variables[ENV.idKeyGeneration]).to.equal("3");
      expect(authSettingsFromEnv(variables).idKeyGeneration).to.equal(3);
    });
  });

  describe("the site", () => {
    for (const mode of AUTH_MODES) {
      it(`${mode}: config.json tells the page the API's origin and the auth mode`, () => {
        const config = ofType(runs[mode], "aws:s3/bucketObjectv2:BucketObjectv2").find((object) => object.inputs.key === "config.json")!;

        expect(JSON.parse(config.inputs.content)).to.deep.equal({ apiUrl: "/", auth: mode });
      });
    }

    it("forwards a bearer token to the API: each API behaviour keeps caching disabled and the AllViewerExceptHostHeader origin request policy", () => {
      // AWS knowledge center "cloudfront-authorization-header": with caching disabled, the AllViewer
      // and AllViewerExceptHostHeader origin request policies forward Authorization.
      const distribution = named(runs.jwt, "cloudqueue-site-cdn").inputs;
      const apiBehaviours = distribution.orderedCacheBehaviors.filter((behaviour: { targetOriginId: string }) => behaviour.targetOriginId === "http-api");

      expect(apiBehaviours.length).to.be.at.least(2);
      for (const behaviour of apiBehaviours) {
        expect(behaviour, behaviour.pathPattern).to.include({ cachePolicyId: CACHING_DISABLED_POLICY_ID, originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_POLICY_ID });
      }
      expect(CACHING_DISABLED_POLICY_ID).to.equal("4135ea2d-6df8-44a3-9df3-4b5a84be39ad");
      expect(ALL_VIEWER_EXCEPT_HOST_POLICY_ID).to.equal("b689b0a8-53d0-40ab-baf2-68738e2966ac");
    });
  });
});
