import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { load } from "js-yaml";
import { CONFIG_KEYS, INFRA_DEFAULTS, parseConfig, readConfig } from "../../infra/config";
import { DEFAULTS } from "../../handlers/settings";

/** The `default:` of each key under `config:` in Pulumi.yaml (the file's own fixed layout). */
function documentedDefaults(): Map<string, unknown> {
  const lines = fs.readFileSync(path.join(__dirname, "../../Pulumi.yaml"), "utf8").split("\n");
  const defaults = new Map<string, unknown>();
  let key: string | undefined;
  for (const line of lines) {
    const keyLine = /^  (\w+):\s*$/.exec(line);
    if (keyLine) key = keyLine[1];
    const defaultLine = /^    default: (.*)$/.exec(line);
    if (defaultLine && key) defaults.set(key, JSON.parse(defaultLine[1]!));
  }
  return defaults;
}

describe("infra/config", () => {
  it("takes its defaults from handlers/settings DEFAULTS and derives the visibility timeout", () => {
    const config = parseConfig({});
    expect(config.workerTimeoutSeconds).to.equal(DEFAULTS.workerTimeoutSeconds);
    expect(config.maxReceiveCount).to.equal(DEFAULTS.maxReceiveCount);
    expect(config.batchSize).to.equal(DEFAULTS.batchSize);
    expect(config.maxConcurrency).to.equal(DEFAULTS.maxConcurrency);
    expect(config.sweepShards).to.equal(DEFAULTS.sweepShards);
    expect(config.logRetentionDays).to.equal(INFRA_DEFAULTS.logRetentionDays);
    expect(config.visibilityTimeoutSeconds).to.equal(DEFAULTS.workerTimeoutSeconds * DEFAULTS.visibilityTimeoutFactor);
    expect(config.alertEmailOrNone).to.equal(undefined);
  });

  it("documents every key in Pulumi.yaml with the default the program applies", () => {
    const documented = documentedDefaults();
    const applied = parseConfig({}) as unknown as Record<string, unknown>;
    expect([...documented.keys()].sort()).to.deep.equal([...CONFIG_KEYS].sort());
    for (const key of CONFIG_KEYS) expect(documented.get(key), key).to.deep.equal(applied[key]);
  });

  it("reads numbers, booleans and lists as JSON and an email as a string", () => {
    const values: Record<string, string> = { batchSize: "5", pointInTimeRecovery: "true", corsAllowedOrigins: '["https://a.example"]', alertEmail: "ops@example.com" };
    const config = readConfig({ get: (key) => values[key] });
    expect(config.batchSize).to.equal(5);
    expect(config.pointInTimeRecovery).to.equal(true);
    expect(config.corsAllowedOrigins).to.deep.equal(["https://a.example"]);
    expect(config.alertEmailOrNone).to.equal("ops@example.com");
  });

  it("refuses a visibility timeout under 6 × the worker timeout", () => {
    expect(() => parseConfig({ visibilityTimeoutFactor: 5 })).to.throw(/visibilityTimeoutFactor must be at least 6/);
    expect(parseConfig({ visibilityTimeoutFactor: 6 }).visibilityTimeoutSeconds).to.equal(6 * DEFAULTS.workerTimeoutSeconds);
  });

  it("refuses a worker timeout that does not fit the longest job type plus the commit reserve", () => {
    // demo.unreliable runs up to 30 s; 30 + 2 s reserve must fit strictly.
    expect(() => parseConfig({ workerTimeoutSeconds: 32 })).to.throw(/longest job type timeout \(demo.unreliable: 30 s\)/);
    expect(parseConfig({ workerTimeoutSeconds: 33 }).workerTimeoutSeconds).to.equal(33);
  });

  it("refuses a maxReceiveCount that does not exceed every job type's maxAttempts", () => {
    expect(() => parseConfig({ maxReceiveCount: 4 })).to.throw(/maxReceiveCount \(4\) must exceed maxAttempts of demo.unreliable \(4\)/);
  });

  it("names every bad key at once", () => {
    try {
      parseConfig({ batchSize: 0, alertEmail: "not-an-email", logRetentionDays: 10, corsAllowedOrigins: ["https://a.example/path"] });
      expect.fail("should throw");
    } catch (error) {
      const message = (error as Error).message;
      expect(message).to.include("batchSize").and.include("alertEmail").and.include("logRetentionDays").and.include("corsAllowedOrigins");
    }
  });

  it("adds the batching window to the visibility timeout, a message's time in the mapping's buffer", () => {
    expect(parseConfig({ workerTimeoutSeconds: 40, maxBatchingWindowSeconds: 30 }).visibilityTimeoutSeconds).to.equal(6 * 40 + 30);
  });

  it("refuses batches over 10 without a batching window", () => {
    expect(() => parseConfig({ batchSize: 20 })).to.throw(/maxBatchingWindowSeconds of at least 1/);
    expect(parseConfig({ batchSize: 20, maxBatchingWindowSeconds: 1 }).batchSize).to.equal(20);
  });

  it("takes a site domain only with an ACM certificate in us-east-1, and each of them only with the other", () => {
    const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/0b4f8c8e-6a8e-4e8e-9a8e-0b4f8c8e6a8e";
    expect(parseConfig({ siteDomain: "queue.example.com", siteCertificateArn: certificateArn }).siteDomainOrNone).to.deep.equal({ name: "queue.example.com", certificateArn });
    expect(parseConfig({}).siteDomainOrNone).to.equal(undefined);
    expect(() => parseConfig({ siteDomain: "queue.example.com" })).to.throw(/siteDomain and siteCertificateArn are set together/);
    expect(() => parseConfig({ siteCertificateArn: certificateArn })).to.throw(/siteDomain and siteCertificateArn are set together/);
    expect(() => parseConfig({ siteDomain: "queue.example.com", siteCertificateArn: certificateArn.replace("us-east-1", "eu-west-1") })).to.throw(/siteCertificateArn: .*us-east-1/);
    expect(() => parseConfig({ siteDomain: "https://queue.example.com", siteCertificateArn: certificateArn })).to.throw(/siteDomain: .*DNS name/);
  });

  it("runs the functions at logLevel INFO by default, takes DEBUG, and refuses WARN and above, which would drop the metrics' records", () => {
    expect(parseConfig({}).logLevel).to.equal("INFO");
    expect(parseConfig({ logLevel: "DEBUG" }).logLevel).to.equal("DEBUG");
    expect(readConfig({ get: (key) => (key === "logLevel" ? "DEBUG" : undefined) }).logLevel).to.equal("DEBUG");
    for (const level of ["WARN", "ERROR", "FATAL"]) {
      expect(() => parseConfig({ logLevel: level }), level).to.throw(new RegExp(`logLevel: ${level} is refused: .*job\\.transition.*metric`));
    }
    for (const level of ["TRACE", "info", "VERBOSE", 3]) {
      expect(() => parseConfig({ logLevel: level }), String(level)).to.throw(/logLevel: must be DEBUG or INFO/);
    }
  });

  it("refuses an oldest-message threshold a delayed job alone would reach, or one past the queue's retention", () => {
    expect(parseConfig({}).alarmOldestMessageAgeSeconds).to.equal(1_800);
    expect(() => parseConfig({ alarmOldestMessageAgeSeconds: 900 })).to.throw(/alarmOldestMessageAgeSeconds: must exceed 900 s, the longest delay/);
    expect(parseConfig({ alarmOldestMessageAgeSeconds: 901 }).alarmOldestMessageAgeSeconds).to.equal(901);
    expect(() => parseConfig({ alarmOldestMessageAgeSeconds: 345_601 })).to.throw(/alarmOldestMessageAgeSeconds: must be at most 345600 s/);
    expect(() => parseConfig({ alarmOldestMessageAgeSeconds: 1_000.5 })).to.throw(/alarmOldestMessageAgeSeconds/);
  });

  it("takes the failure share as a whole percent from 1 to 100, over a window of 1 to 1440 minutes and at least one job", () => {
    expect(parseConfig({ alarmFailurePercent: 100, alarmFailureWindowMinutes: 1_440, alarmFailureMinJobs: 1 })).to.include({ alarmFailurePercent: 100, alarmFailureWindowMinutes: 1_440, alarmFailureMinJobs: 1 });
    for (const bad of [0, 101, 2.5, "10"]) expect(() => parseConfig({ alarmFailurePercent: bad }), String(bad)).to.throw(/alarmFailurePercent/);
    expect(() => parseConfig({ alarmFailurePercent: 0 })).to.throw(/must be a whole percent from 1 to 100/);
    for (const bad of [0, 1_441, 1.5]) expect(() => parseConfig({ alarmFailureWindowMinutes: bad }), String(bad)).to.throw(/alarmFailureWindowMinutes/);
    // At least one: the share divides by the finished jobs of a window that has this many.
    for (const bad of [0, -1, 0.5]) expect(() => parseConfig({ alarmFailureMinJobs: bad }), String(bad)).to.throw(/alarmFailureMinJobs/);
  });

  it("takes the count thresholds as whole numbers from 0, and names each bad one", () => {
    const keys = ["alarmFunctionErrors", "alarmFunctionThrottles", "alarmDynamoDbThrottles", "alarmApi5xx"] as const;
    for (const key of keys) {
      expect(parseConfig({})[key], key).to.equal(0);
      expect(parseConfig({ [key]: 12 })[key], key).to.equal(12);
    }
    try {
      parseConfig({ alarmFunctionErrors: -1, alarmFunctionThrottles: 0.5, alarmDynamoDbThrottles: "x", alarmApi5xx: -3 });
      expect.fail("should throw");
    } catch (error) {
      const message = (error as Error).message;
      for (const key of keys) expect(message, key).to.include(`${key}:`);
    }
  });

  describe("auth", () => {
    const ISSUER = "https://issuer.example.com/";
    const ROLE = "arn:aws:iam::123456789012:role/cloudqueue-operator";

    it("is the public demo by default: authMode none, scopes required once jwt is chosen, id key generation 1", () => {
      const config = parseConfig({});

      expect(config).to.include({ authMode: "none", jwtIssuer: "", jwtRequireScopes: true, idKeyGeneration: 1 });
      expect(config.jwtAudiences).to.deep.equal([]);
      expect(config.iamAdminArns).to.deep.equal([]);
      expect(config.auth).to.deep.equal({ mode: "none" });
    });

    it("reads a jwt stack's issuer, audiences and scope switch into one auth setting", () => {
      const values: Record<string, string> = { authMode: "jwt", jwtIssuer: ISSUER, jwtAudiences: '["api","cli"]', jwtRequireScopes: "false" };

      const config = readConfig({ get: (key) => values[key] });

      expect(config.auth).to.deep.equal({ mode: "jwt", issuer: ISSUER, audiences: ["api", "cli"], requireScopes: false });
      expect(parseConfig({ authMode: "jwt", jwtIssuer: ISSUER, jwtAudiences: ["api"] }).auth).to.deep.equal({ mode: "jwt", issuer: ISSUER, audiences: ["api"], requireScopes: true });
    });

    it("refuses jwt without an issuer or without an audience, naming the missing key", () => {
      expect(() => parseConfig({ authMode: "jwt", jwtAudiences: ["api"] })).to.throw(/authMode jwt needs jwtIssuer/);
      expect(() => parseConfig({ authMode: "jwt", jwtIssuer: ISSUER })).to.throw(/authMode jwt needs jwtAudiences/);
      expect(() => parseConfig({ authMode: "jwt", jwtIssuer: ISSUER, jwtAudiences: [] })).to.throw(/authMode jwt needs jwtAudiences/);
      try {
        parseConfig({ authMode: "jwt" });
        expect.fail("should throw");
      } catch (error) {
        expect((error as Error).message).to.include("jwtIssuer").and.include("jwtAudiences");
      }
    });

    it("takes an issuer only as an https URL without query or fragment, and audiences only as non-empty strings", () => {
      for (const issuer of ["http://issuer.example.com/", "issuer.example.com", "https://issuer.example.com/?tenant=1", "https://issuer.example.com/#x", "ftp://issuer.example.com"]) {
        expect(() => parseConfig({ authMode: "jwt", jwtIssuer: issuer, jwtAudiences: ["api"] }), issuer).to.throw(/jwtIssuer/);
      }
      const cognito = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123";
      expect(parseConfig({ authMode: "jwt", jwtIssuer: cognito, jwtAudiences: ["api"] }).jwtIssuer).to.equal(cognito);
      expect(() => parseConfig({ authMode: "jwt", jwtIssuer: ISSUER, jwtAudiences: [""] })).to.throw(/jwtAudiences\.0: an audience is a non-empty string/);
      expect(() => parseConfig({ authMode: "jwt", jwtIssuer: ISSUER, jwtAudiences: "api" })).to.throw(/jwtAudiences/);
    });

    it("refuses a jwt key on a stack of another mode, naming each key set", () => {
      expect(() => parseConfig({ jwtIssuer: ISSUER })).to.throw(/jwtIssuer is only read with authMode jwt \(authMode is none\)/);
      expect(() => parseConfig({ authMode: "iam", jwtAudiences: ["api"], jwtRequireScopes: true })).to.throw(/jwtAudiences, jwtRequireScopes are only read with authMode jwt \(authMode is iam\)/);
      // Set counts, whatever the value: a stale key is read as a mistake, not as its default.
      expect(() => parseConfig({ jwtRequireScopes: false })).to.throw(/jwtRequireScopes is only read with authMode jwt/);
    });

    it("takes iamAdminArns only with authMode iam, and passes them on as the iam auth setting", () => {
      expect(parseConfig({ authMode: "iam", iamAdminArns: [ROLE] }).auth).to.deep.equal({ mode: "iam", adminArns: [ROLE] });
      expect(parseConfig({ authMode: "iam" }).auth).to.deep.equal({ mode: "iam", adminArns: [] });
      expect(() => parseConfig({ iamAdminArns: [ROLE] })).to.throw(/iamAdminArns is only read with authMode iam \(authMode is none\)/);
      expect(() => parseConfig({ authMode: "jwt", jwtIssuer: ISSUER, jwtAudiences: ["api"], iamAdminArns: [ROLE] })).to.throw(/iamAdminArns is only read with authMode iam \(authMode is jwt\)/);
    });

    it("takes an admin as a role ARN without a path or a user ARN, as the api compares callers, and nothing else", () => {
      const good = [ROLE, "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/ops/team/alice", "arn:aws-us-gov:iam::123456789012:role/Admin+Ops=1.x@y-z"];
      expect(parseConfig({ authMode: "iam", iamAdminArns: good }).iamAdminArns).to.deep.equal(good);
      const bad = [
        "arn:aws:iam::123456789012:role/service-role/cloudqueue-operator", // a path: the role's sessions never name it
        "arn:aws:sts::123456789012:assumed-role/cloudqueue-operator/session", // a session, not the role
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::123456789012:group/admins",
        "arn:aws:iam::12345678901:role/short-account",
        "arn:aws:iam::123456789012:role/a,b", // the api splits the list on commas
        "arn:aws:iam::123456789012:role/*",
        "cloudqueue-operator",
      ];
      for (const arn of bad) expect(() => parseConfig({ authMode: "iam", iamAdminArns: [arn] }), arn).to.throw(/iamAdminArns\.0: an IAM role ARN without a path/);
    });

    it("refuses an unknown authMode, and an idKeyGeneration that is not a whole number from 1", () => {
      expect(() => parseConfig({ authMode: "cognito" })).to.throw(/authMode: must be one of none, jwt, iam/);
      expect(parseConfig({ idKeyGeneration: 2 }).idKeyGeneration).to.equal(2);
      expect(readConfig({ get: (key) => (key === "idKeyGeneration" ? "7" : undefined) }).idKeyGeneration).to.equal(7);
      for (const bad of [0, -1, 1.5, "2", 1_000_000]) expect(() => parseConfig({ idKeyGeneration: bad }), String(bad)).to.throw(/idKeyGeneration/);
    });

    it("sets authMode none explicitly on the dev stack, which keeps the public demo", () => {
      const dev = load(fs.readFileSync(path.join(__dirname, "../../Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };

      expect(dev.config["cloudqueue:authMode"]).to.equal("none");
    });
  });
});
