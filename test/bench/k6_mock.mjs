// test/bench/k6_mock.mjs: runs a k6 script under node with a recording
// stand-in for k6's modules, and prints on stdout one JSON object:
//   {"options": {PROFILE: options, ...}, "mix": {...}, "requests": [{method, url, body,
//    tags, expected}, ...], "bad_profile_refused": bool}
//
//   node test/bench/k6_mock.mjs SCRIPT [ITERATIONS]
//
// The script is imported once per profile (PROFILE=smoke, load, soak, spike)
// for its options, then its default function runs ITERATIONS times (default
// 400) with every kind of its MIX export given weight 1, so that each kind
// of request is sent. Requests are recorded, never sent; the fake answers
// rotate through 200, 503 and 400 so that every check function runs.
// Supported: imports of k6, k6/http, k6/data, k6/metrics, k6/execution; open() relative to
// the script; __ENV, __VU, __ITER. Anything else the script imports fails.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [script, iterations = '400'] = process.argv.slice(2);
const PROFILES = ['smoke', 'load', 'soak', 'spike'];
const dir = dirname(resolve(script));
const tmp = mkdtempSync(join(tmpdir(), 'k6mock-'));

const STUBS = {
  k6: `export function check(v, sets) { for (const f of Object.values(sets)) f(v); return true; }
       export function sleep() {}
       export function group(name, f) { return f(); }
       export default { check, sleep, group };`,
  'k6/http': `const m = globalThis.__k6mock;
       function request(method, url, body = null, params = {}) {
         m.requests.push({ method, url, body, tags: params.tags || {},
                           expected: params.responseCallback ? params.responseCallback.expected : null });
         const status = [200, 503, 400][m.requests.length % 3];
         const text = JSON.stringify({ papers: [{}], results: [{ status: 200, papers: [{}] }] });
         return { status, body: text, headers: { 'X-Cache': 'memory', 'Retry-After': '1' },
                  timings: { duration: 1 },
                  json(sel) { const o = JSON.parse(text); return sel ? o[sel] : o; } };
       }
       export function expectedStatuses(...s) { return { expected: s }; }
       export default {
         request, expectedStatuses,
         get: (u, p) => request('GET', u, null, p),
         head: (u, p) => request('HEAD', u, null, p),
         del: (u, b, p) => request('DELETE', u, b, p),
         options: (u, b, p) => request('OPTIONS', u, b, p),
         post: (u, b, p) => request('POST', u, b, p),
         put: (u, b, p) => request('PUT', u, b, p),
         patch: (u, b, p) => request('PATCH', u, b, p),
         batch() { throw new Error('k6_mock: http.batch is not supported'); },
         asyncRequest() { throw new Error('k6_mock: http.asyncRequest is not supported'); },
       };`,
  'k6/execution': `export default { vu: { idInTest: 1, iterationInScenario: 0 },
       scenario: { name: 'mock', iterationInTest: 0 }, test: { abort() {} } };`,
  'k6/data': `export class SharedArray { constructor(name, f) { return f(); } }`,
  'k6/metrics': `class M { add() {} }
       export class Counter extends M {} export class Rate extends M {}
       export class Trend extends M {} export class Gauge extends M {}`,
};

// The script with its k6 imports pointing at the stubs.
const files = {};
for (const [name, text] of Object.entries(STUBS)) {
  files[name] = join(tmp, name.replace('/', '-') + '.mjs');
  writeFileSync(files[name], text);
}
const src = readFileSync(script, 'utf8').replace(/(\bfrom\s*|\bimport\s*)(['"])([^'"]+)\2/g, (m, kw, q, spec) => {
  if (!files[spec]) throw new Error(`${script}: import '${spec}' is not supported by k6_mock`);
  return `${kw}'${pathToFileURL(files[spec])}'`;
});
const main = join(tmp, 'script.mjs');
writeFileSync(main, src);

globalThis.__k6mock = { requests: [] };
globalThis.open = (p) => readFileSync(resolve(dir, p), 'utf8');
globalThis.__VU = 1;
globalThis.__ITER = 0;
const base = { BASE_URL: 'http://k6-mock.invalid', API_KEY: 'k6-mock-key' };
const load = (env, n) => {
  globalThis.__ENV = Object.assign({}, base, env);
  return import(`${pathToFileURL(main)}?${n}`);
};

const out = { options: {}, mix: null, requests: [], bad_profile_refused: false };
try {
  let n = 0;
  for (const p of PROFILES) out.options[p] = (await load({ PROFILE: p }, n++)).options;
  out.bad_profile_refused = await load({ PROFILE: 'no-such-profile' }, n++).then(() => false, () => true);
  const first = await load({ PROFILE: 'smoke' }, n++);
  out.mix = first.MIX || null;
  const every = Object.keys(out.mix || {}).map((k) => `${k}:1`).join(',');
  const mod = every ? await load({ PROFILE: 'smoke', MIX: every }, n++) : first;
  for (let i = 0; i < Number(iterations); i++) {
    globalThis.__ITER = i;
    mod.default();
  }
  out.requests = globalThis.__k6mock.requests;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + '\n');
