import { randomBytes, randomInt } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";

/** The account every local IAM user belongs to (the same stand-in id as the local payload 2.0 events). */
export const LOCAL_ACCOUNT_ID = "000000000000";

/** The users a fresh local stack creates: two ordinary callers and one admin. */
export const LOCAL_IAM_USER_NAMES = ["alice", "bob", "admin"] as const;

/** The ARN of a local IAM user, as API Gateway's `iam` context names its caller. */
export function localUserArn(userName: string): string {
  return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/${userName}`;
}

/** The local admin's ARN: what the local stack puts into `CLOUDQUEUE_ADMIN_PRINCIPALS` in `iam` mode. */
export const LOCAL_ADMIN_ARN = localUserArn("admin");

/** Where the credentials live inside a data folder. */
export const IAM_CREDENTIALS_FILE = join("auth", "iam-credentials.json");

/** One local IAM user and its long-term access key, as IAM would show them. */
export interface IamUser {
  userName: string;
  /** `AKIA` and 16 upper-case letters or digits. */
  accessKeyId: string;
  /** 40 characters of the base64 alphabet. */
  secretAccessKey: string;
  /** `arn:aws:iam::000000000000:user/<userName>`. */
  userArn: string;
  /** The user's unique id: `AIDA` and 17 upper-case letters or digits. */
  userId: string;
}

/** The local IAM users of one stack and the file a developer reads their keys from. */
export interface IamCredentials {
  /** The JSON file holding {@link users} (mode 0600). */
  file: string;
  users: readonly IamUser[];
}

/** A credentials file that cannot be used; the message names it and says what to do. */
export class IamCredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IamCredentialsError";
  }
}

const UserSchema = v.object({
  userName: v.pipe(v.string(), v.regex(/^[\w+=,.@-]{1,64}$/, "is not an IAM user name")),
  accessKeyId: v.pipe(v.string(), v.regex(/^AKIA[A-Z0-9]{16}$/, "is not an access key id")),
  secretAccessKey: v.pipe(v.string(), v.regex(/^[A-Za-z0-9+/]{40}$/, "is not a secret access key")),
  userArn: v.pipe(v.string(), v.regex(/^arn:aws:iam::\d{12}:user\/[\w+=,.@-]{1,64}$/, "is not an IAM user ARN")),
  userId: v.pipe(v.string(), v.regex(/^AIDA[A-Z0-9]{17}$/, "is not an IAM user id")),
});
const FileSchema = v.object({
  users: v.pipe(
    v.array(UserSchema),
    v.minLength(1, "holds no user"),
    v.check((users) => new Set(users.map((user) => user.accessKeyId)).size === users.length, "repeats an access key id"),
  ),
});

/**
 * The local IAM users kept in `<dataDir>/auth/iam-credentials.json`: created with
 * {@link LOCAL_IAM_USER_NAMES} and random keys at the first start, read back as they are on every
 * later start, so that keys a developer configured keep working. A file that is not a valid
 * credentials file is an {@link IamCredentialsError}, never silently replaced.
 */
export function openIamCredentials(dataDir: string): IamCredentials {
  const file = join(dataDir, IAM_CREDENTIALS_FILE);
  const text = readIfExists(file);
  if (text === undefined) return createIamCredentials(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IamCredentialsError(`${file} is not JSON; delete it to create new local IAM users`, { cause: error });
  }
  const parsed = v.safeParse(FileSchema, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const where = issue ? v.getDotPath(issue) : undefined;
    throw new IamCredentialsError(`${file} is not a credentials file (${where ? `${where}: ` : ""}${issue?.message ?? "invalid"}); delete it to create new local IAM users`);
  }
  return { file, users: parsed.output.users };
}

/**
 * The local IAM users of an in-memory stack: new ones at every start, in a fresh folder under
 * `os.tmpdir()` (or `folder`), so that a developer still has a file to read the keys from.
 */
export function inMemoryIamCredentials(folder: string = mkdtempSync(join(tmpdir(), "cloudqueue-iam-"))): IamCredentials {
  return createIamCredentials(join(folder, IAM_CREDENTIALS_FILE));
}

/** Users with fresh random keys, one per name. */
export function newIamUsers(names: readonly string[] = LOCAL_IAM_USER_NAMES): IamUser[] {
  return names.map((userName) => ({
    userName,
    accessKeyId: `AKIA${randomUpperAlphanumerics(16)}`,
    secretAccessKey: randomBytes(30).toString("base64"),
    userArn: localUserArn(userName),
    userId: `AIDA${randomUpperAlphanumerics(17)}`,
  }));
}

function createIamCredentials(file: string): IamCredentials {
  const users = newIamUsers();
  const dir = join(file, "..");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Written beside and renamed into place, so that a crash mid-write never leaves a torn file
  // that the next start would refuse; chmod because `mode` is subject to the umask.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(partial, 0o600);
  renameSync(partial, file);
  return { file, users };
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new IamCredentialsError(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
}

const UPPER_ALPHANUMERICS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function randomUpperAlphanumerics(length: number): string {
  let text = "";
  for (let index = 0; index < length; index += 1) text += UPPER_ALPHANUMERICS[randomInt(UPPER_ALPHANUMERICS.length)];
  return text;
}
