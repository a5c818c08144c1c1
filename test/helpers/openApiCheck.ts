import type { APIGatewayProxyEventV2 } from "aws-lambda";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { ApiHandler } from "../../handlers/api/handler";
import type { HttpResponse } from "../../handlers/api/http";
import { UNROUTED_RESPONSES } from "../../handlers/openapi";

/**
 * Checks an HTTP answer against the OpenAPI document (`handlers/openapi.ts`): the operation is
 * found by matching the path against the document's paths (a literal segment wins over a
 * parameter, as API Gateway matches), the status must be one the operation documents, the
 * `content-type` one of that response's media types, its required headers present, and the JSON
 * body valid against the documented schema (ajv, JSON Schema 2020-12, `$ref`s resolved to
 * `components.schemas`).
 *
 * Stricter than the document in one way: the objects of `components.schemas` are closed
 * (`additionalProperties: false`), so an answer carrying a field the contract does not name (an
 * internal one leaking) fails, though a client must tolerate new fields.
 *
 * Answers that are no operation's: a `204` to `OPTIONS` (a CORS preflight, API Gateway's or the
 * preflight route's) with no body; a path the document does not have must be its `NotFound`
 * response, a method its path does not take its `MethodNotAllowed`, or (on a closed stack, whose
 * `$default` route carries the authorizer) the authorizer's `401`/`403`, or API Gateway's own
 * `429` and 5xx.
 */
export interface OpenApiChecker {
  /** Throws {@link OpenApiConformanceError} unless the answer conforms. `rawPath` may carry a query. */
  assertConforms(method: string, rawPath: string, status: number, headers: HeaderSource, bodyText: string): void;
}

/** Response headers as fetch (`Headers`), Playwright or a Lambda result (a record) give them. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

export class OpenApiConformanceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OpenApiConformanceError";
  }
}

type Json = Record<string, any>;

const SCHEMA_BASE = "https://cloudqueue.invalid/components/schemas/";
const JSON_MEDIA_TYPE = /^application\/([\w.+-]+\+)?json$/;

const checkers = new WeakMap<object, OpenApiChecker>();

/** The checker of `document` (one per document object: its schemas compile once). */
export function openApiChecker(document: Record<string, unknown>): OpenApiChecker {
  let checker = checkers.get(document);
  if (!checker) checkers.set(document, (checker = createChecker(document as Json)));
  return checker;
}

/** {@link OpenApiChecker.assertConforms} against `document`. */
export function assertConformsToOpenApi(document: Record<string, unknown>, method: string, rawPath: string, status: number, headers: HeaderSource, bodyText: string): void {
  openApiChecker(document).assertConforms(method, rawPath, status, headers, bodyText);
}

/** Throws unless `response`, the api function's answer to `event`, conforms. */
export function assertLambdaAnswerConforms(checker: OpenApiChecker, event: APIGatewayProxyEventV2, response: HttpResponse): void {
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  const body = response.isBase64Encoded ? Buffer.from(response.body, "base64").toString("utf8") : response.body;
  checker.assertConforms(event.requestContext.http.method, `${event.rawPath}${query}`, response.statusCode, response.headers, body);
}

/** The api function, every answer of it checked by `checker` before it is returned. */
export function withOpenApiCheck(api: ApiHandler, checker: OpenApiChecker): ApiHandler {
  return async (event, context) => {
    const response = await api(event, context);
    assertLambdaAnswerConforms(checker, event, response);
    return response;
  };
}

function createChecker(document: Json): OpenApiChecker {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  // OpenAPI's own keywords in a Schema Object.
  ajv.addVocabulary(["discriminator", "xml", "externalDocs", "example"]);
  for (const [name, schema] of Object.entries<Json>(document.components?.schemas ?? {})) {
    ajv.addSchema({ ...closeObjects(retarget(schema)), $id: `${SCHEMA_BASE}${name}` });
  }
  const compiled = new Map<string, ValidateFunction>();
  const validatorOf = (key: string, schema: Json): ValidateFunction => {
    let validate = compiled.get(key);
    if (!validate) compiled.set(key, (validate = ajv.compile(retarget(schema))));
    return validate;
  };
  const templates = Object.keys(document.paths ?? {})
    .map((template) => ({ template, pattern: templatePattern(template), parameters: (template.match(/\{/g) ?? []).length }))
    .sort((a, b) => a.parameters - b.parameters);
  const closed = document.components?.securitySchemes !== undefined;

  return {
    assertConforms(method, rawPath, status, headers, bodyText) {
      const verb = method.toUpperCase();
      const path = rawPath.split("?")[0]!;
      const what = `${verb} ${rawPath} answered ${status}`;
      const fail = (reason: string): never => {
        throw new OpenApiConformanceError(`${what}, which the OpenAPI document does not allow: ${reason}\n  content-type: ${headerOf(headers, "content-type")}\n  body: ${bodyText.slice(0, 500)}`);
      };
      if (verb === "OPTIONS" && status === 204) {
        if (bodyText !== "") fail("a preflight's 204 has no body");
        return;
      }
      const template = templates.find((candidate) => candidate.pattern.test(path))?.template;
      const pathItem: Json | undefined = template === undefined ? undefined : document.paths[template];
      const operation: Json | undefined = pathItem?.[verb === "HEAD" ? "get" : verb.toLowerCase()];
      const where = operation ? `${operation.operationId}` : template === undefined ? "no path" : `${template}, no ${verb}`;
      const responses: Json = operation?.responses ?? unroutedResponses(document, template === undefined ? UNROUTED_RESPONSES.notFound : UNROUTED_RESPONSES.methodNotAllowed, closed);
      const documented = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
      if (!documented) fail(`${where} documents ${Object.keys(responses).join(", ")}`);
      const responseKey = `${where} ${status}`;
      const response = resolve(document, documented);
      for (const [name, header] of Object.entries<Json>(response.headers ?? {})) {
        if (resolve(document, header).required && headerOf(headers, name) === undefined) fail(`${responseKey} always sends ${name}`);
      }
      const content: Json | undefined = response.content;
      if (!content || Object.keys(content).length === 0) {
        if (bodyText !== "") fail(`${responseKey} has no body`);
        return;
      }
      const mediaType = headerOf(headers, "content-type")?.split(";")[0]!.trim().toLowerCase();
      if (mediaType === undefined || !(mediaType in content)) fail(`${responseKey} is ${Object.keys(content).join(" or ")}`);
      // HEAD: the same status and headers as GET; API Gateway and the front drop the body.
      if (verb === "HEAD" || !JSON_MEDIA_TYPE.test(mediaType!)) return;
      let body: unknown;
      try {
        body = JSON.parse(bodyText);
      } catch {
        fail(`${responseKey} (${mediaType}) is not JSON`);
      }
      const validate = validatorOf(`${responseKey} ${mediaType}`, content[mediaType!].schema ?? {});
      if (!validate(body)) fail(`${responseKey} (${mediaType}): ${ajv.errorsText(validate.errors, { separator: "; " })}`);
    },
  };
}

/** The answers a request no operation takes may get: the document's 404 or 405, an authorizer's, API Gateway's own. */
function unroutedResponses(document: Json, name: string, closed: boolean): Json {
  const responses: Json = document.components?.responses ?? {};
  const ref = (key: string) => (responses[key] ? { $ref: `#/components/responses/${key}` } : undefined);
  const answers: [string, Json | undefined][] = [
    [name === UNROUTED_RESPONSES.notFound ? "404" : "405", ref(name)],
    ...(closed ? ([["401", ref("Unauthorized")], ["403", ref("Forbidden")]] satisfies [string, Json | undefined][]) : []),
    ["429", ref("TooManyRequests")],
    ["500", ref("InternalServerError")],
    ["502", ref("BadGateway")],
    ["503", ref("ServiceUnavailable")],
    ["504", ref("GatewayTimeout")],
  ];
  return Object.fromEntries(answers.filter(([, answer]) => answer !== undefined));
}

/** A path template as a pattern: literal segments exactly, `{name}` one non-empty segment. */
function templatePattern(template: string): RegExp {
  const source = template
    .split("/")
    .map((segment) => (/^\{\w+\}$/.test(segment) ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}$`);
}

/** A `#/components/...` reference object resolved (once: the document's references are one level deep). */
function resolve(document: Json, value: Json): Json {
  if (typeof value?.$ref !== "string") return value;
  const target = value.$ref
    .replace(/^#\//, "")
    .split("/")
    .reduce((node: Json | undefined, part: string) => node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], document);
  if (!target) throw new OpenApiConformanceError(`the OpenAPI document has no ${value.$ref}`);
  return resolve(document, target);
}

/** A schema whose `#/components/schemas/X` references point at the schemas added to ajv. */
function retarget(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(retarget);
  if (schema === null || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, key === "$ref" && typeof value === "string" ? value.replace("#/components/schemas/", SCHEMA_BASE) : retarget(value)]),
  );
}

/** Every object schema that lists its properties and says nothing of others, closed. */
function closeObjects(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== "object") return schema;
  const copy: Json = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, closeObjects(value)]));
  if (copy.type === "object" && copy.properties && !("additionalProperties" in copy) && !("patternProperties" in copy) && !("unevaluatedProperties" in copy)) {
    copy.additionalProperties = false;
  }
  return copy;
}

function headerOf(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === wanted && value !== undefined) return Array.isArray(value) ? value.join(", ") : value;
  }
  return undefined;
}
