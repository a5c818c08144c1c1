import { marshall } from "@aws-sdk/util-dynamodb";
import { expect } from "chai";
import { itemSize, numberSize } from "../../../bench/itemSize";
import { batchGetReadUnits, queryReadUnits } from "../../../bench/readMeter";

describe("bench/itemSize: DynamoDB's item size rules", () => {
  it("counts each attribute's name and its string's UTF-8 bytes", () => {
    expect(itemSize(marshall({ jobId: "abc" }))).to.equal(5 + 3);
    expect(itemSize(marshall({ é: "€" }))).to.equal(2 + 3);
  });

  it("counts a number at 1 byte per two significant digits plus 1, leading and trailing zeroes trimmed", () => {
    expect(numberSize("1796223756891")).to.equal(8);
    expect(numberSize("1000")).to.equal(2);
    expect(numberSize("-0.0012")).to.equal(2);
    expect(numberSize("0")).to.equal(2);
  });

  it("counts 1 byte for a boolean or null, 3 for a list or map plus 1 per element", () => {
    expect(itemSize(marshall({ ok: true, no: null }))).to.equal(2 + 1 + 2 + 1);
    expect(itemSize(marshall({ l: ["ab", "c"] }))).to.equal(1 + 3 + (1 + 2) + (1 + 1));
    expect(itemSize(marshall({ m: { k: "v" } }))).to.equal(1 + 3 + (1 + 1 + 1));
    expect(itemSize(marshall({ m: {} }))).to.equal(1 + 3);
  });
});

describe("bench/readMeter: DynamoDB's read unit rules", () => {
  it("charges a Query 0.5 unit per 4 KB of the entries it read together, at least 0.5", () => {
    expect(queryReadUnits([])).to.equal(0.5);
    expect(queryReadUnits(Array<number>(38).fill(107))).to.equal(0.5);
    expect(queryReadUnits(Array<number>(39).fill(107))).to.equal(1);
    expect(queryReadUnits([4096, 4096, 1])).to.equal(1.5);
  });

  it("charges a BatchGetItem per item, each rounded up to 4 KB: 1 unit strongly consistent, 0.5 eventually", () => {
    expect(batchGetReadUnits([650, 650, 4097], true)).to.equal(1 + 1 + 2);
    expect(batchGetReadUnits([650, 650, 4097], false)).to.equal(2);
    expect(batchGetReadUnits([0], true)).to.equal(1);
  });
});
