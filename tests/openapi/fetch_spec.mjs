// Puts Discord's OpenAPI document at DEST, checked against the SHA-256 in pinned_spec.json:
//
//   node fetch_spec.mjs DEST
//
// From $DISCORD_OPENAPI_JSON when set (a copy provided by whoever runs the tests, such as a CI
// machine without internet), else from DEST itself when it is already the pinned file, else
// downloaded from the pinned commit on GitHub. Exits 1 with the reason on any mismatch.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pin, sha256 } from './spec.mjs';

const dest = process.argv[2];
if (!dest) {
  console.error('usage: node fetch_spec.mjs DEST');
  process.exit(2);
}

function matches(bytes) {
  return sha256(bytes) === pin.sha256;
}

function install(bytes, from) {
  if (!matches(bytes)) {
    console.error(`${from} is not Discord's OpenAPI document at ${pin.commit}: its SHA-256 is ` +
                  `${sha256(bytes)}, expected ${pin.sha256}`);
    process.exit(1);
  }
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(`${dest}.partial`, bytes);
  renameSync(`${dest}.partial`, dest);
}

const provided = process.env.DISCORD_OPENAPI_JSON;
if (provided) {
  install(readFileSync(provided), provided);
  process.exit(0);
}
try {
  if (matches(readFileSync(dest))) process.exit(0);
} catch {
  // not there yet
}
try {
  const response = await fetch(pin.url, { signal: AbortSignal.timeout(60_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  install(Buffer.from(await response.arrayBuffer()), pin.url);
} catch (e) {
  console.error(`cannot download Discord's OpenAPI document from ${pin.url} (${e.message}). ` +
                `Without internet, download it elsewhere and run the tests with ` +
                `DISCORD_OPENAPI_JSON=/path/to/openapi.json`);
  process.exit(1);
}
