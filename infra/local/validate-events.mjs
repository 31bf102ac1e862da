// Compiles a JSON Schema with ajv in strict mode (formats asserted by
// ajv-formats) and validates events with it.
//
//   node validate-events.mjs SCHEMA [EVENTS]
//
// SCHEMA failing strict compilation exits 1 with ajv's errors. EVENTS, a
// JSON array of events, is answered on stdout by a JSON array of verdicts
// (true: valid), in the same order.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [schemaPath, eventsPath] = process.argv.slice(2);
if (!schemaPath) {
  console.error("usage: node validate-events.mjs SCHEMA [EVENTS]");
  process.exit(2);
}
const ajv = new Ajv2020({ strict: true, allErrors: false });
addFormats(ajv);
let validate;
try {
  validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
} catch (err) {
  console.error(`ajv strict: ${schemaPath}: ${err.message}`);
  process.exit(1);
}
console.error(`ajv strict: ${schemaPath}: 0 errors`);
if (eventsPath) {
  const events = JSON.parse(readFileSync(eventsPath, "utf8"));
  process.stdout.write(JSON.stringify(events.map((e) => validate(e))));
}
