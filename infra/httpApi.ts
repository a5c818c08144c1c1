import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { routeScopes } from "../handlers/auth/authMode";
import { CORS_RULES } from "../handlers/cors";
import { DEFAULT_ROUTE_KEY, PREFLIGHT_ROUTE_KEY, routeKey, routes, type RouteAccess } from "../handlers/routes";
import type { StackAuth } from "./config";

export interface JobHttpApiArgs {
  /** The api function every route reaches. */
  handler: aws.lambda.Function;
  /** Origins allowed by CORS: the site's, plus `corsAllowedOrigins`. */
  corsOrigins: pulumi.Input<pulumi.Input<string>[]>;
  /** Steady requests per second. @default 50 */
  throttleRateLimit: number;
  /** Burst. @default 100 */
  throttleBurstLimit: number;
  /** How callers are admitted (`authMode`). @default { mode: "none" } */
  auth: StackAuth;
}

/** Where API Gateway's JWT authorizer reads the token: `Authorization: Bearer <token>` (or the bare token). */
export const JWT_IDENTITY_SOURCE = "$request.header.Authorization";

/** The authorization inputs of a route. */
export interface RouteAuthorization {
  authorizationType: "NONE" | "JWT" | "AWS_IAM";
  authorizerId?: pulumi.Input<string>;
  authorizationScopes?: string[];
}

/**
 * How a route of `access` is authorized on a stack (`access` `undefined`: the `$default` route).
 * A public route never carries an authorizer. On a `jwt` stack every other route carries the
 * authorizer and, with `requireScopes`, its scopes; `$default` carries it without scopes: it
 * serves no operation of its own (a 404 or 405 from the api), which a valid token of any scope
 * should get alike. On an `iam` stack they all require a SigV4 signature.
 */
export function routeAuthorization(access: RouteAccess | undefined, auth: StackAuth, authorizerId: pulumi.Input<string> | undefined): RouteAuthorization {
  if (auth.mode === "none" || access === "public") return { authorizationType: "NONE" };
  if (auth.mode === "iam") return { authorizationType: "AWS_IAM" };
  const scopes = access !== undefined && auth.requireScopes ? { authorizationScopes: routeScopes({ access }) } : {};
  return { authorizationType: "JWT", authorizerId, ...scopes };
}

/**
 * The path of a route as it appears in an execute-api source ARN: each path parameter such as
 * `{jobId}` becomes `*`, which matches any one segment.
 */
export function sourceArnPath(path: string): string {
  return path.replace(/\{[^}]+\}/g, "*");
}

/**
 * The HTTP API (SPEC §3, §7): one route per entry of `handlers/routes.ts`, each through the one
 * payload 2.0 Lambda integration and allowed to invoke the function by its own permission;
 * a `$default` route to the same function, so that an unknown path or a wrong method is answered
 * by CloudQueue (problem+json 404, or 405 with `Allow`) instead of API Gateway's bare
 * `{"message":"Not Found"}`; a `$default` stage that deploys automatically, with throttling;
 * CORS answered by API Gateway.
 *
 * On a closed stack (`jwt`, `iam`) every route but the public ones and `$default` carry the
 * authorizer (`routeAuthorization`), and one more route, `OPTIONS /{proxy+}`, carries none: with
 * an authorized `$default`, a CORS preflight that matches no route would go to `$default` and fail
 * 401 for want of a token, while `OPTIONS /{proxy+}` ranks above `$default` (cloudunfold.com,
 * "Configuring CORS for an HTTP API with a $default route and authorizer"; AWS's "Configure CORS
 * for HTTP APIs" says the same). It goes to the same integration, where the api answers 204 and
 * API Gateway adds the CORS headers.
 */
export class JobHttpApi extends pulumi.ComponentResource {
  public readonly api: aws.apigatewayv2.Api;
  public readonly integration: aws.apigatewayv2.Integration;
  public readonly routes: aws.apigatewayv2.Route[];
  /** The catch-all route: every request no route key matched reaches the api function. */
  public readonly defaultRoute: aws.apigatewayv2.Route;
  /** `jwt` mode: the JWT authorizer of every non-public route and `$default`. */
  public readonly authorizer: aws.apigatewayv2.Authorizer | undefined;
  /** `jwt` and `iam` modes: `OPTIONS /{proxy+}`, unauthorized, so that CORS preflights never meet `$default`'s authorizer. */
  public readonly preflightRoute: aws.apigatewayv2.Route | undefined;
  public readonly permissions: aws.lambda.Permission[];
  public readonly stage: aws.apigatewayv2.Stage;
  /** The API's base URL (no trailing slash), once the stage exists. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: JobHttpApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudqueue:infra:JobHttpApi", name, {}, opts);
    this.api = new aws.apigatewayv2.Api(
      `${name}-api`,
      {
        protocolType: "HTTP",
        corsConfiguration: {
          // The same rules as the local stack's front (one source: handlers/cors.ts).
          allowOrigins: args.corsOrigins,
          allowMethods: [...CORS_RULES.allowMethods],
          allowHeaders: [...CORS_RULES.allowHeaders],
          exposeHeaders: [...CORS_RULES.exposeHeaders],
          maxAge: CORS_RULES.maxAgeSeconds,
        },
      },
      { parent: this },
    );
    this.integration = new aws.apigatewayv2.Integration(
      `${name}-lambda`,
      { apiId: this.api.id, integrationType: "AWS_PROXY", integrationUri: args.handler.arn, payloadFormatVersion: "2.0" },
      { parent: this },
    );
    const { auth } = args;
    this.authorizer =
      auth.mode === "jwt"
        ? new aws.apigatewayv2.Authorizer(
            `${name}-jwt-authorizer`,
            {
              apiId: this.api.id,
              authorizerType: "JWT",
              identitySources: [JWT_IDENTITY_SOURCE],
              jwtConfiguration: { issuer: auth.issuer, audiences: auth.audiences },
            },
            { parent: this },
          )
        : undefined;
    const authorizerId = this.authorizer?.id;
    const target = pulumi.interpolate`integrations/${this.integration.id}`;
    this.routes = [];
    this.permissions = [];
    for (const route of routes) {
      const id = `${name}-${route.operation}`;
      this.routes.push(
        new aws.apigatewayv2.Route(id, { apiId: this.api.id, routeKey: routeKey(route), target, ...routeAuthorization(route.access, auth, authorizerId) }, { parent: this }),
      );
      this.permissions.push(
        new aws.lambda.Permission(
          `${id}-invoke`,
          {
            action: "lambda:InvokeFunction",
            function: args.handler.name,
            principal: "apigateway.amazonaws.com",
            sourceArn: pulumi.interpolate`${this.api.executionArn}/*/${route.method}${sourceArnPath(route.path)}`,
          },
          { parent: this },
        ),
      );
    }
    this.defaultRoute = new aws.apigatewayv2.Route(
      `${name}-default-route`,
      { apiId: this.api.id, routeKey: DEFAULT_ROUTE_KEY, target, ...routeAuthorization(undefined, auth, authorizerId) },
      { parent: this },
    );
    this.routes.push(this.defaultRoute);
    // No permission of its own: the $default route's below (`<api>/*/*`) admits it, as ArnLike's
    // `*` spans slashes: `<api>/$default/OPTIONS/jobs/x` is `<api>/` + `*` + `/` + `*`.
    this.preflightRoute =
      auth.mode === "none"
        ? undefined
        : new aws.apigatewayv2.Route(`${name}-preflight`, { apiId: this.api.id, routeKey: PREFLIGHT_ROUTE_KEY, target, authorizationType: "NONE" }, { parent: this });
    if (this.preflightRoute) this.routes.push(this.preflightRoute);
    this.permissions.push(
      new aws.lambda.Permission(
        `${name}-default-route-invoke`,
        {
          action: "lambda:InvokeFunction",
          function: args.handler.name,
          principal: "apigateway.amazonaws.com",
          // A $default route's requests arrive as `{stage}/{method}/{path}` with any method and path
          // (and so do the preflight route's).
          sourceArn: pulumi.interpolate`${this.api.executionArn}/*/*`,
        },
        { parent: this },
      ),
    );
    this.stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: this.api.id,
        name: "$default",
        autoDeploy: true,
        defaultRouteSettings: { throttlingRateLimit: args.throttleRateLimit, throttlingBurstLimit: args.throttleBurstLimit },
      },
      { parent: this, dependsOn: this.routes },
    );
    this.url = pulumi.all([this.api.apiEndpoint, this.stage.id]).apply(([endpoint]) => endpoint);
    this.registerOutputs({ url: this.url });
  }
}
