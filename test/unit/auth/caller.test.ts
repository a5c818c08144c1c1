import { expect } from "chai";
import { callerOf, holdsRouteScope, principalOf, PUBLIC_CALLER } from "../../../handlers/auth/caller";
import { apiEvent, iamCaller, jwtCaller, TEST_ISSUER } from "../../helpers/events";

const event = (authorizer?: Record<string, unknown>) => apiEvent({ method: "GET", path: "/jobs/00000000-0000-4000-8000-000000000000", authorizer });
const jwt = { mode: "jwt" as const, adminPrincipals: [] };
const iam = { mode: "iam" as const, adminPrincipals: ["arn:aws:iam::123456789012:role/Operators"] };

describe("callerOf: who is asking, from what API Gateway verified", () => {
  it("is the one public owner on a none stack, whatever the request carries", () => {
    expect(callerOf(event(), { mode: "none", adminPrincipals: [] })).to.deep.equal(PUBLIC_CALLER);
    expect(callerOf(event(jwtCaller("alice", ["cloudqueue/admin"])), { mode: "none", adminPrincipals: [] })).to.deep.equal(PUBLIC_CALLER);
  });

  it("is issuer and subject on a jwt stack; the admin scope makes an admin, from the scopes or from the scope claim", () => {
    expect(callerOf(event(jwtCaller("alice")), jwt)).to.deep.equal({ owner: `jwt:${TEST_ISSUER}#alice`, admin: false, scopes: ["cloudqueue/submit", "cloudqueue/read"] });
    expect(callerOf(event(jwtCaller("root", ["cloudqueue/admin"])), jwt)).to.deep.include({ owner: `jwt:${TEST_ISSUER}#root`, admin: true });
    const claimOnly = { jwt: { claims: { iss: TEST_ISSUER, sub: "ops", scope: "cloudqueue/read cloudqueue/admin" }, scopes: null } };
    expect(callerOf(event(claimOnly), jwt)?.admin).to.equal(true);
    const flattenedScp = { jwt: { claims: { iss: TEST_ISSUER, sub: "ops", scp: "[cloudqueue/admin cloudqueue/read]" }, scopes: null } };
    expect(callerOf(event(flattenedScp), jwt)?.admin).to.equal(true);
  });

  it("reads the scope claim as the authorizer does, on single spaces: a tab does not make a second scope", () => {
    const tabbed = { jwt: { claims: { iss: TEST_ISSUER, sub: "eve", scope: "cloudqueue/read\tcloudqueue/admin" }, scopes: null } };
    expect(callerOf(event(tabbed), jwt)).to.deep.include({ admin: false, scopes: ["cloudqueue/read\tcloudqueue/admin"] });
  });

  it("takes client_id when a machine token has no sub", () => {
    const machine = { jwt: { claims: { iss: TEST_ISSUER, client_id: "batch-importer" }, scopes: null } };
    expect(callerOf(event(machine), jwt)?.owner).to.equal(`jwt:${TEST_ISSUER}#batch-importer`);
  });

  it("is undefined on a closed stack when nothing was verified: no authorizer, the other mode's, or no subject", () => {
    expect(callerOf(event(), jwt)).to.equal(undefined);
    expect(callerOf(event(iamCaller("arn:aws:iam::123456789012:user/alice")), jwt)).to.equal(undefined);
    expect(callerOf(event({ jwt: { claims: { iss: TEST_ISSUER }, scopes: null } }), jwt)).to.equal(undefined);
    expect(callerOf(event(jwtCaller("alice")), iam)).to.equal(undefined);
    expect(callerOf(event(), iam)).to.equal(undefined);
  });

  it("is the principal on an iam stack, a role's sessions being one owner; listed principals are admins", () => {
    expect(callerOf(event(iamCaller("arn:aws:iam::123456789012:user/alice")), iam)).to.deep.equal({ owner: "iam:arn:aws:iam::123456789012:user/alice", admin: false, scopes: [] });
    const session = (name: string) => callerOf(event(iamCaller(`arn:aws:sts::123456789012:assumed-role/Importer/${name}`)), iam);
    expect(session("a")?.owner).to.equal("iam:arn:aws:iam::123456789012:role/Importer");
    expect(session("b")?.owner).to.equal(session("a")?.owner);
    expect(callerOf(event(iamCaller("arn:aws:sts::123456789012:assumed-role/Operators/jane")), iam)?.admin).to.equal(true);
  });

  it("reduces only assumed-role sessions", () => {
    expect(principalOf("arn:aws:iam::123456789012:user/alice")).to.equal("arn:aws:iam::123456789012:user/alice");
    expect(principalOf("arn:aws-cn:sts::123456789012:assumed-role/R/s")).to.equal("arn:aws-cn:iam::123456789012:role/R");
  });
});

describe("holdsRouteScope: the api's own check of a route's scopes", () => {
  const reader = { owner: "jwt:i#r", admin: false, scopes: ["cloudqueue/read"] };
  const submitter = { owner: "jwt:i#s", admin: false, scopes: ["cloudqueue/submit"] };
  const admin = { owner: "jwt:i#a", admin: true, scopes: ["cloudqueue/admin"] };
  const required = { mode: "jwt" as const, requireScopes: true };

  it("admits a token with the route's scope or the admin scope, and no other", () => {
    expect(holdsRouteScope(reader, { access: "read" }, required)).to.equal(true);
    expect(holdsRouteScope(submitter, { access: "read" }, required)).to.equal(false);
    expect(holdsRouteScope(reader, { access: "submit" }, required)).to.equal(false);
    expect(holdsRouteScope(admin, { access: "submit" }, required)).to.equal(true);
  });

  it("checks nothing on a public route, with scopes off, or outside jwt", () => {
    expect(holdsRouteScope(submitter, { access: "public" }, required)).to.equal(true);
    expect(holdsRouteScope(submitter, { access: "read" }, { mode: "jwt", requireScopes: false })).to.equal(true);
    expect(holdsRouteScope({ ...PUBLIC_CALLER }, { access: "submit" }, { mode: "none", requireScopes: true })).to.equal(true);
  });
});
