import { expect } from "chai";
import { InvalidArgumentError } from "commander";
import { collectIds, integerIn, parseStatuses, parseTime, readPayload } from "../../../cli/args";
import { UsageError } from "../../../cli/errors";
import { NOW } from "./fakes";

describe("cli/args", () => {
  describe("parseTime (--since, --until)", () => {
    it("turns a duration back from now into an RFC 3339 UTC time", () => {
      expect(parseTime("24h", NOW)).to.equal("2025-04-30T12:00:00.000Z");
      expect(parseTime("7d", NOW)).to.equal("2025-04-24T12:00:00.000Z");
      expect(parseTime("90s", NOW)).to.equal("2025-05-01T11:58:30.000Z");
      expect(parseTime("30m", NOW)).to.equal("2025-05-01T11:30:00.000Z");
      expect(parseTime("2w", NOW)).to.equal("2025-04-17T12:00:00.000Z");
    });

    it("turns an RFC 3339 time with an offset into UTC, since the API compares stored UTC times", () => {
      expect(parseTime("2025-05-01T14:00:00+02:00", NOW)).to.equal("2025-05-01T12:00:00.000Z");
      expect(parseTime("2025-05-01t12:00:00.5z", NOW)).to.equal("2025-05-01T12:00:00.500Z");
      expect(parseTime("2025-05-01 12:00:00Z", NOW)).to.equal("2025-05-01T12:00:00.000Z");
    });

    it("takes a full date as midnight UTC", () => {
      expect(parseTime("2025-04-01", NOW)).to.equal("2025-04-01T00:00:00.000Z");
    });

    for (const bad of ["yesterday", "24", "0h", "-1d", "1y", "2025-05-01T12:00:00", "2025-13-01", "2025-05-01T25:00:00Z", ""]) {
      it(`refuses ${JSON.stringify(bad)} with the forms it takes`, () => {
        expect(() => parseTime(bad, NOW)).to.throw(InvalidArgumentError, /RFC 3339.*24h/);
      });
    }
  });

  describe("parseStatuses (--status)", () => {
    it("reads comma-separated statuses in any case, in-progress with a dash too", () => {
      expect(parseStatuses("failed,Canceled")).to.deep.equal(["FAILED", "CANCELED"]);
      expect(parseStatuses("in-progress")).to.deep.equal(["IN_PROGRESS"]);
    });

    it("adds a repeated option's statuses to the previous ones, once each", () => {
      expect(parseStatuses("FAILED,QUEUED", ["FAILED"])).to.deep.equal(["FAILED", "QUEUED"]);
    });

    it("refuses a status that does not exist, naming the ones that do", () => {
      expect(() => parseStatuses("FAILED,DONE")).to.throw(InvalidArgumentError, /QUEUED, IN_PROGRESS, SUCCEEDED, FAILED, CANCELED/);
    });
  });

  describe("integerIn", () => {
    it("takes whole numbers within its bounds and refuses the rest", () => {
      const batch = integerIn(1, 100);
      expect(batch("1")).to.equal(1);
      expect(batch("100")).to.equal(100);
      for (const bad of ["0", "101", "1.5", "-3", "ten", ""]) expect(() => batch(bad), bad).to.throw(InvalidArgumentError, /from 1 to 100/);
    });
  });

  describe("collectIds (--id)", () => {
    it("gathers repeated and comma-separated ids", () => {
      expect(collectIds("c", collectIds("a, b"))).to.deep.equal(["a", "b", "c"]);
      expect(() => collectIds(" , ")).to.throw(InvalidArgumentError);
    });
  });

  describe("readPayload (PAYLOAD)", () => {
    const sources = {
      readFile: async (path: string) => {
        if (path === "job.json") return '{"text":"file"}';
        throw Object.assign(new Error("missing"), { code: "ENOENT" });
      },
      readStdin: async () => '{"text":"stdin"}\n',
    };

    it("parses JSON text, @file and - (stdin)", async () => {
      expect(await readPayload('{"text":"inline"}', sources)).to.deep.equal({ text: "inline" });
      expect(await readPayload("@job.json", sources)).to.deep.equal({ text: "file" });
      expect(await readPayload("-", sources)).to.deep.equal({ text: "stdin" });
    });

    it("refuses text that is not JSON as a usage error saying which forms it takes", async () => {
      const error = await readPayload("{text: hi}", sources).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(UsageError);
      expect((error as UsageError).message).to.match(/^PAYLOAD is not JSON .*@file\.json, or - to read stdin$/);
    });

    it("names a payload file it cannot read", async () => {
      const error = await readPayload("@missing.json", sources).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(UsageError);
      expect((error as UsageError).message).to.equal("cannot read the payload file missing.json: ENOENT");
    });
  });
});
