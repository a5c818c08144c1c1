import * as v from "valibot";
import { ENV, parseEnvironment } from "../settings";
import { AUTH_MODES, type AuthMode } from "./authMode";

/** What the api function reads about callers and key-derived ids from its environment. */
export interface AuthSettings {
  /** @default "none" */
  mode: AuthMode;
  /** The KMS HMAC key the id secret is derived from; `undefined` where the secret comes from elsewhere (the local stack). */
  idKeyArn: string | undefined;
  /** @default 1 */
  idKeyGeneration: number;
  /** `iam` mode: principals (normalized ARNs, see `callerOf`) that see every owner's jobs. @default [] */
  adminPrincipals: string[];
  /** `jwt` mode: every job route requires its scope (`routeScopes`). @default true: closed unless told otherwise */
  requireScopes: boolean;
}

// Thunk defaults: see settings.ts (Pulumi's closure serializer and primitive defaults).
const authEnvSchema = v.object({
  [ENV.authMode]: v.optional(v.picklist(AUTH_MODES, `must be one of ${AUTH_MODES.join(", ")}`), () => "none" as const),
  [ENV.idKeyArn]: v.optional(v.pipe(v.string(), v.regex(/^arn:aws[\w-]*:kms:[\w-]+:\d{12}:key\/[\w-]+$/, "must be a KMS key ARN"))),
  [ENV.idKeyGeneration]: v.optional(v.pipe(v.string(), v.regex(/^\d{1,6}$/, "must be a whole number"), v.transform(Number), v.minValue(1)), () => "1"),
  [ENV.adminPrincipals]: v.optional(v.string(), () => ""),
  [ENV.jwtRequireScopes]: v.optional(v.picklist(["true", "false"], "must be true or false"), () => "true" as const),
});

/** Reads and validates the api's auth settings; throws naming each bad variable. */
export function authSettingsFromEnv(env: Record<string, string | undefined>): AuthSettings {
  const out = parseEnvironment(authEnvSchema, env);
  return {
    mode: out[ENV.authMode],
    idKeyArn: out[ENV.idKeyArn],
    idKeyGeneration: out[ENV.idKeyGeneration],
    adminPrincipals: out[ENV.adminPrincipals].split(",").map((arn) => arn.trim()).filter((arn) => arn !== ""),
    requireScopes: out[ENV.jwtRequireScopes] === "true",
  };
}
