import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
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
});
