import { expect } from "chai";
import { join, resolve } from "node:path";
import { TargetError, UsageError } from "../../../cli/errors";
import { EXIT } from "../../../cli/exitCodes";
import { LOCAL_DEFAULT_API_URL, LOCAL_STACK_FILE, resolveTarget, stackOutput } from "../../../cli/target";
import { emptyTargetSystem } from "./fakes";

/** A system whose pulumi answers `apiUrl` for stack dev, and records what it was asked. */
function pulumiAnswering(output: string) {
  const asked: string[][] = [];
  return {
    asked,
    system: emptyTargetSystem({
      env: { CLOUDQUEUE_API_URL: "http://from-env.example/" },
      pulumi: async (args) => {
        asked.push(args);
        return output;
      },
    }),
  };
}

describe("cli/target", () => {
  it("takes --api before anything else", async () => {
    const { system, asked } = pulumiAnswering("https://stack.example/\n");
    const target = await resolveTarget({ api: "http://127.0.0.1:9000", stack: "dev" }, system);
    expect(target).to.include({ apiUrl: "http://127.0.0.1:9000/", source: "--api" });
    expect(asked).to.deep.equal([]);
  });

  it("asks pulumi for the stack's apiUrl output with --stack, before the environment variable", async () => {
    const { system, asked } = pulumiAnswering("https://abc.execute-api.eu-west-1.amazonaws.com/\n");
    const target = await resolveTarget({ stack: "dev" }, system);
    expect(asked).to.deep.equal([["stack", "output", "apiUrl", "--stack", "dev"]]);
    expect(target).to.deep.equal({ apiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/", source: "--stack", description: "stack dev" });
  });

  it("takes CLOUDQUEUE_API_URL when neither flag is given", async () => {
    const target = await resolveTarget({}, emptyTargetSystem({ env: { CLOUDQUEUE_API_URL: "https://api.example/prod" } }));
    expect(target).to.include({ apiUrl: "https://api.example/prod", source: "CLOUDQUEUE_API_URL" });
  });

  it("reads the local stack's file in the data folder when its process is alive", async () => {
    const read: string[] = [];
    const system = emptyTargetSystem({
      readFile: async (path) => {
        read.push(path);
        return JSON.stringify({ pid: 4242, apiUrl: "http://127.0.0.1:51234", pageUrl: "http://127.0.0.1:51234/" });
      },
      isAlive: (pid) => pid === 4242,
    });
    const target = await resolveTarget({ dataDir: "/tmp/stack-data" }, system);
    expect(read).to.deep.equal([join("/tmp/stack-data", LOCAL_STACK_FILE)]);
    expect(target).to.deep.equal({ apiUrl: "http://127.0.0.1:51234/", source: "local stack", description: `the local stack of ${resolve("/tmp/stack-data")}` });
  });

  it("looks in CLOUDQUEUE_DATA_DIR, then .cloudqueue, for the local stack's file", async () => {
    const read: string[] = [];
    const system = (env: Record<string, string>) => emptyTargetSystem({ env, readFile: async (path) => (read.push(path), Promise.reject(new Error("ENOENT"))) });
    await resolveTarget({}, system({ CLOUDQUEUE_DATA_DIR: "/srv/cq" }));
    await resolveTarget({}, system({}));
    expect(read).to.deep.equal([join("/srv/cq", LOCAL_STACK_FILE), join(".cloudqueue", LOCAL_STACK_FILE)]);
  });

  for (const [name, text, alive] of [
    ["a stack whose process is gone", JSON.stringify({ pid: 4242, apiUrl: "http://127.0.0.1:51234" }), false],
    ["a file that is not JSON", "{", true],
    ["a file without an apiUrl", JSON.stringify({ pid: 4242 }), true],
  ] as const) {
    it(`falls back to npm start's default address for ${name}`, async () => {
      const target = await resolveTarget({}, emptyTargetSystem({ readFile: async () => text, isAlive: () => alive }));
      expect(target).to.include({ apiUrl: LOCAL_DEFAULT_API_URL, source: "local default" });
    });
  }

  it("refuses an --api or CLOUDQUEUE_API_URL that is not an http(s) URL as a usage error naming where it came from", async () => {
    for (const [options, env, pattern] of [
      [{ api: "localhost:8080" }, {}, /^--api must be an http or https URL/],
      [{ api: "not a url" }, {}, /^--api is not a URL/],
      [{ api: "http://h/?x=1" }, {}, /must not carry a query/],
      [{}, { CLOUDQUEUE_API_URL: "ftp://h/" }, /^CLOUDQUEUE_API_URL must be an http or https URL/],
    ] as const) {
      const error = await resolveTarget(options, emptyTargetSystem({ env })).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(options)).to.be.instanceOf(UsageError);
      expect((error as UsageError).message).to.match(pattern);
      expect((error as UsageError).exitCode).to.equal(EXIT.usage);
    }
  });

  describe("stackOutput", () => {
    it("says the pulumi CLI is missing, with its own exit code, when it is not on PATH", async () => {
      const error = await stackOutput(emptyTargetSystem(), "dev", "apiUrl").catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(TargetError);
      expect((error as TargetError).exitCode).to.equal(EXIT.noTarget);
      expect((error as TargetError).message).to.match(/^the pulumi CLI is not installed \(no pulumi on PATH\).*--api URL$/);
    });

    it("passes on the first line of pulumi's complaint when it fails", async () => {
      const system = emptyTargetSystem({
        pulumi: async () => {
          throw Object.assign(new Error("Command failed"), { code: 255, stderr: "error: no stack named 'nope' found\nmore\n" });
        },
      });
      const error = await stackOutput(system, "nope", "apiUrl").catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(TargetError);
      expect((error as TargetError).message).to.equal("pulumi stack output apiUrl failed for stack nope: error: no stack named 'nope' found");
    });

    it("says a stack without the output has not been deployed", async () => {
      const error = await stackOutput(emptyTargetSystem({ pulumi: async () => "\n" }), undefined, "dlqUrl").catch((caught: unknown) => caught);
      expect((error as TargetError).message).to.equal("the selected stack has no dlqUrl output: has it been deployed (pulumi up)?");
    });

    it("asks the selected stack when no stack is named", async () => {
      const asked: string[][] = [];
      const url = await stackOutput(emptyTargetSystem({ pulumi: async (args) => (asked.push(args), "https://sqs.example/q-dlq\n") }), undefined, "dlqUrl");
      expect(asked).to.deep.equal([["stack", "output", "dlqUrl"]]);
      expect(url).to.equal("https://sqs.example/q-dlq");
    });

    it("refuses a stack's apiUrl that is not a URL as no target", async () => {
      const error = await resolveTarget({ stack: "dev" }, emptyTargetSystem({ pulumi: async () => "oops\n" })).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(TargetError);
      expect((error as TargetError).message).to.match(/^stack dev's apiUrl output is not a URL/);
    });
  });
});
