import { createHmac, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for KMS that answers `GenerateMac` (AWS JSON 1.1, as the SDK speaks it) with an
 * HMAC-SHA256 under key material of its own, and counts the calls: enough to run the api's real
 * `KmsIdSecret` (and the uploaded code) with no AWS account. Any other operation answers 400.
 */
export class FakeKms {
  readonly calls: { keyId: string; message: string }[] = [];
  private readonly material = randomBytes(32);
  /** When set, every call fails with this KMS error name (HTTP 400, or 500 for `KMSInternalException`). */
  failWith: string | undefined;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeKms> {
    const server = createServer();
    const kms = new FakeKms(server);
    server.on("request", (request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const answer = (status: number, body: unknown) => {
          response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
          response.end(JSON.stringify(body));
        };
        const target = String(request.headers["x-amz-target"] ?? "");
        if (kms.failWith) return answer(kms.failWith === "KMSInternalException" ? 500 : 400, { __type: kms.failWith, message: "injected" });
        if (target !== "TrentService.GenerateMac") return answer(400, { __type: "UnknownOperationException", message: target });
        const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { KeyId: string; Message: string; MacAlgorithm: string };
        const message = Buffer.from(input.Message, "base64");
        kms.calls.push({ keyId: input.KeyId, message: message.toString("utf8") });
        answer(200, { KeyId: input.KeyId, MacAlgorithm: input.MacAlgorithm, Mac: kms.macOf(message).toString("base64") });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return kms;
  }

  /** The MAC this fake gives for `message`: what a derived secret must equal. */
  macOf(message: Buffer | string): Buffer {
    return createHmac("sha256", this.material).update(message).digest();
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
