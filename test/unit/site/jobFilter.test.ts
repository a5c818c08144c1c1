import { expect } from "chai";
import { bulkFilterFor, describeFilter, localTimeToIso } from "../../../site/jobFilter.js";

describe("site job filter", () => {
  describe("bulkFilterFor", () => {
    it("leaves the statuses out when the filter names none, so the API takes the action's own", () => {
      expect(bulkFilterFor("retry", { type: "demo.unreliable" })).to.deep.equal({ type: "demo.unreliable" });
      expect(bulkFilterFor("cancel", { status: [] })).to.deep.equal({});
    });

    it("narrows the statuses to those the action moves jobs from", () => {
      expect(bulkFilterFor("retry", { status: ["FAILED", "QUEUED", "CANCELED"], createdAfter: "2024-01-01T00:00:00.000Z" })).to.deep.equal({ status: ["FAILED", "CANCELED"], createdAfter: "2024-01-01T00:00:00.000Z" });
      expect(bulkFilterFor("cancel", { status: ["QUEUED", "FAILED"] })).to.deep.equal({ status: ["QUEUED"] });
    });

    it("is undefined when none of the filter's statuses is one the action moves from", () => {
      expect(bulkFilterFor("cancel", { status: ["FAILED"] })).to.equal(undefined);
      expect(bulkFilterFor("retry", { status: ["SUCCEEDED", "IN_PROGRESS"] })).to.equal(undefined);
    });
  });

  it("reads a datetime-local value as local time and gives it in UTC", () => {
    expect(localTimeToIso("2024-05-01T10:30")).to.equal(new Date(2024, 4, 1, 10, 30).toISOString());
    expect(localTimeToIso("2024-05-01T10:30:15")).to.equal(new Date(2024, 4, 1, 10, 30, 15).toISOString());
    expect(localTimeToIso("")).to.equal(undefined);
    expect(localTimeToIso("not a time")).to.equal(undefined);
  });

  it("puts a filter in words", () => {
    const time = (iso: string) => iso.slice(0, 10);

    expect(describeFilter({}, time)).to.equal("Jobs of any status");
    expect(describeFilter({ status: ["FAILED"] }, time)).to.equal("Failed jobs");
    expect(describeFilter({ status: ["QUEUED", "FAILED", "CANCELED"], type: "hash.digest" }, time)).to.equal("Queued, failed or canceled jobs of type hash.digest");
    expect(describeFilter({ createdAfter: "2024-01-01T00:00:00Z", createdBefore: "2024-02-01T00:00:00Z" }, time)).to.equal("Jobs of any status created from 2024-01-01 to 2024-02-01");
    expect(describeFilter({ createdBefore: "2024-02-01T00:00:00Z" }, time)).to.equal("Jobs of any status created up to 2024-02-01");
  });
});
