import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CORS_RULES } from "../handlers/cors";
import { DEFAULT_ROUTE_KEY, routeKey, routes } from "../handlers/routes";

export interface JobHttpApiArgs {
  /** The api function every route reaches. */
  handler: aws.lambda.Function;
  /** Origins allowed by CORS: the site's, plus `corsAllowedOrigins`. */
  corsOrigins: pulumi.Input<pulumi.Input<string>[]>;
  /** Steady requests per second. @default 50 */
  throttleRateLimit: number;
  /** Burst. @default 100 */
  throttleBurstLimit: number;
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
 * CORS answered by API Gateway, preflights included (it answers `OPTIONS` preflights itself
 * before any route, `$default` too, while the routes carry no authorizer).
 */
export class JobHttpApi extends pulumi.ComponentResource {
  public readonly api: aws.apigatewayv2.Api;
  public readonly integration: aws.apigatewayv2.Integration;
  public readonly routes: aws.apigatewayv2.Route[];
  /** The catch-all route: every request no route key matched reaches the api function. */
  public readonly defaultRoute: aws.apigatewayv2.Route;
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
    this.routes = [];
    this.permissions = [];
    for (const route of routes) {
      const id = `${name}-${route.operation}`;
      this.routes.push(
        new aws.apigatewayv2.Route(id, { apiId: this.api.id, routeKey: routeKey(route), target: pulumi.interpolate`integrations/${this.integration.id}` }, { parent: this }),
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
      { apiId: this.api.id, routeKey: DEFAULT_ROUTE_KEY, target: pulumi.interpolate`integrations/${this.integration.id}` },
      { parent: this },
    );
    this.routes.push(this.defaultRoute);
    this.permissions.push(
      new aws.lambda.Permission(
        `${name}-default-route-invoke`,
        {
          action: "lambda:InvokeFunction",
          function: args.handler.name,
          principal: "apigateway.amazonaws.com",
          // A $default route's requests arrive as `{stage}/{method}/{path}` with any method and path.
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
