import { expect } from "chai";
import { helpText, OptionsError, parseOptions } from "../../../local/options";

/** `npm start -- --auth`: the flag, its variable, its default, its refusals. */
describe("npm start's --auth option", () => {
  it("is none (the public demo) unless told otherwise", () => {
    expect(parseOptions([], {}).auth).to.equal("none");
  });

  it("takes jwt or iam from the flag, then from CLOUDQUEUE_AUTH_MODE", () => {
    expect(parseOptions(["--auth", "jwt"], {}).auth).to.equal("jwt");
    expect(parseOptions([], { CLOUDQUEUE_AUTH_MODE: "iam" }).auth).to.equal("iam");
    expect(parseOptions(["--auth", "none"], { CLOUDQUEUE_AUTH_MODE: "jwt" }).auth).to.equal("none");
  });

  it("refuses any other mode, naming the ones there are", () => {
    for (const [argv, env] of [[["--auth", "JWT"], {}], [["--auth", "oauth"], {}], [[], { CLOUDQUEUE_AUTH_MODE: "" }]] as const) {
      expect(() => parseOptions(argv, env), JSON.stringify([argv, env])).to.throw(OptionsError, "auth must be one of none, jwt, iam");
    }
  });

  it("is in the help with its variable", () => {
    expect(helpText()).to.match(/--auth <value>\s+\[CLOUDQUEUE_AUTH_MODE\]\s+who may call the API: none, jwt, iam/);
  });
});
