import { expect } from "chai";
import { ASSUMPTIONS, FLOOR_CALLS_PER_JOB, monthlyCost, type CostInputs } from "../../../bench/costModel";

const inputs = (jobsPerMonth: number, overrides: Partial<CostInputs> = {}): CostInputs => ({
  jobsPerMonth,
  calls: FLOOR_CALLS_PER_JOB,
  statusReadsPerJob: 4,
  lambdaMemoryMb: 256,
  batchSize: 10,
  retentionDays: 30,
  pointInTimeRecovery: false,
  logRetentionDays: 14,
  sweepShards: 4,
  alertEmail: false,
  ...ASSUMPTIONS,
  pageViewsPerMonth: 0,
  ...overrides,
});
const service = (lines: ReturnType<typeof monthlyCost>, name: string) => lines.find((line) => line.service === name)!;

describe("bench/costModel", () => {
  it("prices a million jobs' DynamoDB writes as put + claim + commit plus two index writes, at $0.625 per million", () => {
    const writes = service(monthlyCost(inputs(1_000_000)), "DynamoDB writes");
    expect(writes.list).to.be.closeTo(5 * 0.625, 1e-9);
  });

  it("charges API Gateway for the submit and every status read", () => {
    expect(service(monthlyCost(inputs(1_000_000)), "API Gateway HTTP API").list).to.be.closeTo(5, 1e-9);
  });

  it("costs only the idle polling and the sweeper's schedule with no jobs, all inside the free tiers", () => {
    const lines = monthlyCost(inputs(0));
    expect(service(lines, "API Gateway HTTP API").list).to.equal(0);
    expect(service(lines, "SQS").list).to.be.greaterThan(0);
    expect(lines.reduce((sum, line) => sum + line.billed, 0)).to.be.closeTo(service(lines, "DynamoDB reads").billed, 1e-9);
  });

  it("charges PITR and the alarm only when they are on", () => {
    const off = monthlyCost(inputs(1_000_000));
    const on = monthlyCost(inputs(1_000_000, { pointInTimeRecovery: true, alertEmail: true }));
    expect(service(off, "DynamoDB PITR").list).to.equal(0);
    expect(service(on, "DynamoDB PITR").list).to.be.greaterThan(0);
    expect(service(on, "CloudWatch alarm (DLQ)").list).to.equal(0.1);
  });
});
