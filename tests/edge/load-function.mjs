// The CloudFront Function's own code (build/server/cloudfront/viewer-request.js), run in Node.js as
// CloudFront runs it: the same text, its two imports answered by stand-ins of the runtime's modules.
//
//   import { loadFunction } from './load-function.mjs';
//   const handler = loadFunction(code, { kvs: { key: value, ... }, kvsId: 'test-kvs' });
//   const result = await handler(event);   // the request to forward, or a generated response
//
// CLI (for pytest): node load-function.mjs CODE KVS_JSON SECRET
//   CODE: the function's file; KVS_JSON: the KeyValueStore's data in CloudFront's import format
//   ({"data": [{"key": K, "value": V}, ...]}); SECRET: the value of the key `secret` (the deploy puts
//   it there; "" leaves the key out). Reads one event (JSON) per line of stdin, writes one result per
//   line of stdout: what the handler returned, or {"error": message} when it threw.
//
// What is emulated, after the CloudFront documentation (functions-custom-methods, runtime 2.0):
// - `cloudfront`: `kvs(id)` answers only for the store's id (the code carries the marker
//   __EXTRANET_KVS_ID__, replaced here by `kvsId` as stack.py replaces it by the real id); `get(key,
//   {format})` resolves to the value (string by default, `json` parsed, `bytes` a Buffer) and rejects
//   for a key the store does not hold, as CloudFront's does; `exists(key)`; `meta()`.
// - `crypto`: Node's (createHash, createHmac: the runtime's subset of it).
// - Strict mode (the runtime's only mode); no module other than those two; no require, process,
//   timers or network: they are shadowed by `undefined`, so code that used them fails here too.
// Not emulated: the runtime's own interpreter (its ES subset is checked by parsing the code against
// the documented feature list, tests/test_cloudfront_function.py), its memory and time limits.

import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const KVS_MARKER = '__EXTRANET_KVS_ID__';
export const DEFAULT_KVS_ID = 'a1b2c3d4-5678-90ab-cdef-test00kvs000';

const IMPORT = /^import\s+([A-Za-z_$][\w$]*)\s+from\s+(['"])([^'"]+)\2\s*;?[ \t]*$/gm;
const MODULES = ['cloudfront', 'crypto'];
// Globals of Node that CloudFront Functions do not have: shadowed so that a use of one fails here.
const ABSENT = ['require', 'module', 'exports', 'process', 'global', 'setTimeout', 'setInterval', 'setImmediate',
  'clearTimeout', 'clearInterval', 'queueMicrotask', 'fetch', 'XMLHttpRequest', 'WebSocket'];

class KeyNotFound extends Error {}

function store(values, id) {
  const data = new Map(Object.entries(values));
  return {
    async get(key, options) {
      if (typeof key !== 'string' || !data.has(key)) {
        throw new KeyNotFound('Key ' + JSON.stringify(key) + ' not found in the key value store ' + id);
      }
      const value = data.get(key);
      const format = (options && options.format) || 'string';
      if (format === 'string') return value;
      if (format === 'json') return JSON.parse(value);
      if (format === 'bytes') return Buffer.from(value, 'utf8');
      throw new TypeError('unknown format ' + format);
    },
    async exists(key) {
      return data.has(key);
    },
    async meta() {
      const size = [...data].reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
      return { creationDateTime: '2026-01-01T00:00:00Z', lastUpdatedDateTime: '2026-01-01T00:00:00Z',
               keyCount: data.size, totalSizeInBytes: size };
    },
  };
}

/** The function's `handler` (async), running `codeText` with the store `kvs` ({key: value}). */
export function loadFunction(codeText, { kvs = {}, kvsId = DEFAULT_KVS_ID } = {}) {
  const calls = [];
  const cloudfront = {
    kvs(id) {
      calls.push(id);
      if (id !== kvsId) {
        throw new Error('no key value store ' + JSON.stringify(id) + ' is associated with the function');
      }
      return store(kvs, id);
    },
  };
  const provided = { cloudfront, crypto };
  const names = [];
  const values = [];
  const body = codeText.split(KVS_MARKER).join(kvsId).replace(IMPORT, (line, name, quote, module) => {
    if (!MODULES.includes(module)) {
      throw new Error('the function imports ' + module + ': CloudFront Functions offer only ' + MODULES.join(', '));
    }
    names.push(name);
    values.push(provided[module]);
    return '';
  });
  if (/^\s*(import|export)\b/m.test(body)) {
    throw new Error('the function has an import or export the runtime does not accept');
  }
  const make = new Function(...names, ...ABSENT, "'use strict';\n" + body + "\nreturn typeof handler === 'function' ? handler : undefined;");
  const handler = make(...values, ...ABSENT.map(() => undefined));
  if (typeof handler !== 'function') {
    throw new Error('the function defines no handler');
  }
  const wrapped = async (event) => handler(event);
  wrapped.kvsCalls = calls;
  return wrapped;
}

async function main(argv) {
  const [codeFile, kvsFile, secret] = argv;
  if (!codeFile || !kvsFile || secret === undefined) {
    process.stderr.write('usage: node load-function.mjs CODE KVS_JSON SECRET\n');
    return 2;
  }
  const kvs = {};
  for (const { key, value } of JSON.parse(readFileSync(kvsFile, 'utf8')).data) {
    kvs[key] = value;
  }
  if (secret !== '') {
    kvs.secret = secret;
  }
  const handler = loadFunction(readFileSync(codeFile, 'utf8'), { kvs });
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let result;
    try {
      result = await handler(JSON.parse(line));
    } catch (error) {
      result = { error: String(error && error.message ? error.message : error) };
    }
    process.stdout.write(JSON.stringify(result === undefined ? null : result) + '\n');
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
