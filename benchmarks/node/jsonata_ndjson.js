// One JSONata expression over NDJSON, as bench_ndjson.py runs the peers users would pick:
//     node jsonata_ndjson.js EXPRESSION_FILE INPUT.ndjson OUTPUT.ndjson
// Writes one result per input line ({"error": message} for a record the expression fails on).
"use strict";
const fs = require("fs");
const readline = require("readline");
const jsonata = require("jsonata");

async function main() {
  const [expressionFile, source, target] = process.argv.slice(2);
  const expression = jsonata(fs.readFileSync(expressionFile, "utf8"));
  const out = fs.createWriteStream(target);
  const lines = readline.createInterface({ input: fs.createReadStream(source), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    let result;
    try {
      result = await expression.evaluate(JSON.parse(line));
    } catch (error) {
      result = { error: error.message };
    }
    if (!out.write(JSON.stringify(result) + "\n")) {
      await new Promise((resolve) => out.once("drain", resolve)); // memory stays flat
    }
  }
  await new Promise((resolve) => out.end(resolve));
}

main().catch((error) => {
  process.stderr.write(`jsonata_ndjson: ${error.message}\n`);
  process.exit(1);
});
