import { expect } from "chai";
import { handOffAtMs, messageDelaySeconds, waitsInSweepIndex } from "../../../handlers/domain/delay";

describe("domain/delay", () => {
  const now = 1_800_000_000_000;

  it("keeps a job due more than 900 s ahead in the sweep index, and hands it off 900 s before due", () => {
    expect(waitsInSweepIndex(now + 900_000, now)).to.equal(false);
    expect(waitsInSweepIndex(now + 900_001, now)).to.equal(true);
    expect(handOffAtMs(now + 3_600_000)).to.equal(now + 2_700_000);
  });

  it("gives a message the remaining delay rounded up, between 0 and 900 s", () => {
    expect(messageDelaySeconds(now + 300_000, now)).to.equal(300);
    expect(messageDelaySeconds(now + 299_001, now)).to.equal(300);
    expect(messageDelaySeconds(now - 5_000, now)).to.equal(0);
    expect(messageDelaySeconds(now + 2_000_000, now)).to.equal(900);
  });
});
