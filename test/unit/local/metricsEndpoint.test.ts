import { expect } from "chai";
import { prefersJson } from "../../../local/metricsEndpoint";

describe("local metrics: /metrics content negotiation", () => {
  it("gives a scraper the text exposition: Prometheus's own Accept, no Accept, anything", () => {
    // The Accept header Prometheus 2.x scrapes with: OpenMetrics first, then text 0.0.4, then anything.
    const prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    for (const accept of [prometheus, undefined, "", "*/*", "text/plain", "text/*", "image/png", "text/plain, application/json", "application/json;q=0, */*"]) {
      expect(prefersJson(accept), String(accept)).to.equal(false);
    }
  });

  it("gives JSON to a client that weighs application/json above the text formats", () => {
    for (const accept of ["application/json", "Application/JSON", "application/json, text/plain;q=0.5", "application/json;q=0.9, */*;q=0.1", "application/json;q=0.8, text/plain;q=0.5"]) {
      expect(prefersJson(accept), accept).to.equal(true);
    }
  });
});
