// Discord's OpenAPI document at the commit pinned in pinned_spec.json, verified by its SHA-256
// before anything reads it: a changed or truncated file is an error, never a silent pass.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const pin = JSON.parse(readFileSync(new URL('./pinned_spec.json', import.meta.url), 'utf8'));

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

// Reads and parses the spec at `path`; throws naming the file when it is missing or not the pinned one.
export function loadSpec(path) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new Error(`${path} is missing: scripts/test fetches Discord's OpenAPI document there ` +
                    `(node tests/openapi/fetch_spec.mjs ${path})`);
  }
  const digest = sha256(bytes);
  if (digest !== pin.sha256)
    throw new Error(`${path} is not the pinned OpenAPI document (SHA-256 ${digest}, expected ${pin.sha256}); ` +
                    `delete it and run node tests/openapi/fetch_spec.mjs ${path}`);
  return JSON.parse(bytes.toString('utf8'));
}
