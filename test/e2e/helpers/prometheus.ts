import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { freePort } from "../../../local/ports";
import { waitFor } from "../../helpers/waitFor";

/** Debian's Prometheus 2.42 and its promtool, installed by `.ci/run`. */
export const PROMETHEUS_PATH = "/usr/bin/prometheus";
export const PROMTOOL_PATH = "/usr/bin/promtool";

/** `promtool check metrics` on an exposition: it fails on malformed text and on lint problems (naming, units, help). */
export function promtoolCheck(exposition: string): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL_PATH, ["check", "metrics"], { input: exposition, encoding: "utf8", timeout: 20_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/**
 * An exposition read by a real parser of the text format (npm `parse-prometheus-text-format`).
 * For counters and gauges only: the parser merges every series of a labelled histogram into one
 * (its `flattenMetrics`), so histogram values are read through a Prometheus server's queries.
 */
export class Exposition {
  readonly families: ReturnType<typeof parsePrometheusTextFormat>;

  constructor(text: string) {
    this.families = parsePrometheusTextFormat(text);
  }

  family(name: string) {
    return this.families.find((family) => family.name === name);
  }

  /** The sample of `name` whose labels are exactly `labels`; `undefined` when there is none. */
  sample(name: string, labels: Record<string, string> = {}) {
    const family = this.family(name);
    if (family?.type === "HISTOGRAM" || family?.type === "SUMMARY") throw new Error(`${name} is a ${family.type}: read it through Prometheus`);
    return family?.metrics.find((sample) => {
      const own = sample.labels ?? {};
      return Object.keys(own).length === Object.keys(labels).length && Object.entries(labels).every(([key, value]) => own[key] === value);
    });
  }

  /** A counter's or gauge's value. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const value = this.sample(name, labels)?.value;
    return value === undefined ? undefined : Number(value);
  }

  /** The sum of a counter's or gauge's samples whose labels include `labels`. */
  total(name: string, labels: Record<string, string> = {}): number {
    const family = this.family(name);
    if (family?.type === "HISTOGRAM" || family?.type === "SUMMARY") throw new Error(`${name} is a ${family.type}: read it through Prometheus`);
    return (family?.metrics ?? [])
      .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value))
      .reduce((sum, sample) => sum + Number(sample.value ?? 0), 0);
  }
}

/** Reads `url` as a scraper does (Prometheus's Accept header). */
export async function scrape(url: string): Promise<{ contentType: string | null; text: string }> {
  const response = await fetch(url, { headers: { accept: "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1" } });
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return { contentType: response.headers.get("content-type"), text: await response.text() };
}

/**
 * A real Prometheus server with a temporary config and storage, scraping one target every
 * `intervalSeconds`; `stop()` kills it and deletes both.
 */
export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
    private readonly exited: Promise<void>,
    private readonly output: string[],
  ) {}

  static async start(options: { target: string; metricsPath: string; jobName: string; intervalSeconds: number }): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), "cloudqueue-prometheus-"));
    const config = join(dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global:",
        `  scrape_interval: ${options.intervalSeconds}s`,
        `  scrape_timeout: ${options.intervalSeconds}s`,
        `  evaluation_interval: ${options.intervalSeconds}s`,
        "scrape_configs:",
        `  - job_name: ${options.jobName}`,
        `    metrics_path: ${options.metricsPath}`,
        "    static_configs:",
        `      - targets: ["${options.target}"]`,
        "",
      ].join("\n"),
    );
    const port = await freePort();
    const child = spawn(PROMETHEUS_PATH, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"], { stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    child.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`, exited, output);
    try {
      await waitFor(
        "Prometheus to be ready",
        async () => {
          if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output.join("")}`);
          const ready = await fetch(`${server.url}/-/ready`).catch(() => undefined);
          return ready?.status === 200 ? true : undefined;
        },
        20_000,
      );
      return server;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** An instant query through the HTTP API: each result's labels and value. */
  async query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== "success" || !body.data) throw new Error(`query ${promql} failed: ${body.error ?? response.status}`);
    return body.data.result.map((result) => ({ metric: result.metric, value: Number(result.value[1]) }));
  }

  /** The scrape targets as Prometheus reports them. */
  async targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] } };
    return body.data.activeTargets;
  }

  /** What it printed (for a failure's message). */
  log(): string {
    return this.output.join("");
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const killer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
      await this.exited;
      clearTimeout(killer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
