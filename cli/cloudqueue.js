#!/usr/bin/env node
// The `cloudqueue` bin. The project runs TypeScript through ts-node, as `npm start` does: the
// project's own tsconfig is named, so that a command run from any folder compiles the same way,
// and each file's output is kept between commands (cachedTranspiler.js).
const { join } = require("node:path");
require("ts-node").register({ transpileOnly: true, project: join(__dirname, "..", "tsconfig.json"), transpiler: join(__dirname, "cachedTranspiler.js") });
require("./main.ts");
