// One run of this tree's `measureArtifacts` against emulators another process serves
// (`CLOUDQUEUE_BENCH_EMULATORS`): `bench/coldStartBaseline.ts` runs it in today's tree and in a
// worktree of the baseline commit (copied there), and reads the last line it prints.
import { measureArtifacts } from "./artifacts";

measureArtifacts(JSON.parse(process.env.CLOUDQUEUE_BENCH_EMULATORS ?? "null")).then(
  (rows) => {
    process.stdout.write(`\n${JSON.stringify(Object.fromEntries(rows.map((row) => [row.function, row.coldStartMs])))}\n`);
    process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
