import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { IamCredentialsError, inMemoryIamCredentials, LOCAL_ADMIN_ARN, openIamCredentials } from "../../../local/iamCredentials";

describe("local iam mode: IAM credentials", () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "cloudqueue-iam-test-"));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("creates alice, bob and admin with IAM-shaped keys, ids and ARNs at the first start", () => {
    // Act
    const credentials = openIamCredentials(dataDir);

    // Assess
    expect(credentials.file).to.equal(join(dataDir, "auth", "iam-credentials.json"));
    expect(credentials.users.map((user) => user.userName)).to.deep.equal(["alice", "bob", "admin"]);
    for (const user of credentials.users) {
      expect(user.accessKeyId).to.match(/^AKIA[A-Z0-9]{16}$/);
      expect(user.secretAccessKey).to.match(/^[A-Za-z0-9+/]{40}$/);
      expect(user.userId).to.match(/^AIDA[A-Z0-9]{17}$/);
      expect(user.userArn).to.equal(`arn:aws:iam::000000000000:user/${user.userName}`);
    }
    expect(new Set(credentials.users.map((user) => user.accessKeyId)).size).to.equal(3);
    expect(new Set(credentials.users.map((user) => user.secretAccessKey)).size).to.equal(3);
  });

  it("writes the file readable by its owner only (0600)", () => {
    const { file } = openIamCredentials(dataDir);

    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });

  it("reads the same users back on later starts, leaving the file as it was", () => {
    // Prepare
    const first = openIamCredentials(dataDir);
    const written = readFileSync(first.file, "utf8");

    // Act
    const second = openIamCredentials(dataDir);

    // Assess
    expect(second.users).to.deep.equal(first.users);
    expect(readFileSync(second.file, "utf8")).to.equal(written);
  });

  it("names the admin's ARN that the stack lists as an admin principal", () => {
    const admin = openIamCredentials(dataDir).users.find((user) => user.userName === "admin");

    expect(admin?.userArn).to.equal(LOCAL_ADMIN_ARN);
    expect(LOCAL_ADMIN_ARN).to.equal("arn:aws:iam::000000000000:user/admin");
  });

  it("refuses a damaged file, naming it, instead of replacing the keys a developer configured", () => {
    // Prepare
    const file = join(dataDir, "auth", "iam-credentials.json");
    mkdirSync(join(dataDir, "auth"), { recursive: true });
    for (const damaged of ["{not json", JSON.stringify({ users: [] }), JSON.stringify({ users: [{ userName: "alice", accessKeyId: "nope" }] })]) {
      writeFileSync(file, damaged);

      // Act and assess
      expect(() => openIamCredentials(dataDir)).to.throw(IamCredentialsError, file);
      expect(readFileSync(file, "utf8")).to.equal(damaged);
    }
  });

  it("gives an in-memory stack new users at every start, in a folder under the temp dir", () => {
    const first = inMemoryIamCredentials();
    const second = inMemoryIamCredentials();
    try {
      expect(relative(tmpdir(), first.file).startsWith("..")).to.equal(false);
      expect(first.file).to.not.equal(second.file);
      expect(statSync(first.file).mode & 0o777).to.equal(0o600);
      expect(openIamCredentials(join(first.file, "..", "..")).users).to.deep.equal(first.users);
      expect(second.users.map((user) => user.accessKeyId)).to.not.include.members(first.users.map((user) => user.accessKeyId));
    } finally {
      for (const { file } of [first, second]) rmSync(join(file, "..", ".."), { recursive: true, force: true });
    }
  });
});
