// bench/k6/scifind.js: the original SciFind's k6 scenario, adapted to scifind.
//
//   k6 run -e BASE_URL=https://search.example.org -e API_KEY=KEY -e PROFILE=load bench/k6/scifind.js
//
// Environment: BASE_URL (default http://127.0.0.1:8080), API_KEY (sent as
// "Authorization: Bearer KEY"; none when empty), PROFILE (smoke, load, soak,
// spike; default smoke), SOAK_HOLD (the soak's hold, default 1h), MIX (the
// weights of the search kinds, e.g. "hit:52,paged:8,miss:8,bad:16,batch:4").
//
// Each iteration: GET /health, one search of a kind drawn by weight, 1 s of
// think time. The kinds (weights as bench/soak/mix.lua's, see README.md):
//   hit    POST /v1/search, one of 20 popular queries: answer cache hits
//   paged  GET /v1/search, a popular query, page 2 to 4 (offset)
//   miss   POST /v1/search, words of a corpus title with a year window
//          around the paper's year: seldom asked twice, so cache misses
//   bad    GET /v1/search that scifind refuses (400): expected, counted apart
//   batch  POST /v1/search/batch of two popular queries (off by default)
// Each request is tagged kind=<kind> and name=<method path>.
import http from 'k6/http';
import { check, sleep } from 'k6';
import { SharedArray } from 'k6/data';
import { Counter, Rate } from 'k6/metrics';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const API_KEY = __ENV.API_KEY || '';
const PROFILE = __ENV.PROFILE || 'smoke';

// queries.json is made by gen_queries.py from the corpus (see its "origin").
const POPULAR = new SharedArray('popular', () => JSON.parse(open('./queries.json')).popular);
const MISSES = new SharedArray('misses', () => JSON.parse(open('./queries.json')).misses);

const PROFILES = {
  smoke: [{ duration: '30s', target: 1 }],
  // The original's: ramp to 100 VUs, hold, peak at 200, ramp down.
  load: [
    { duration: '2m', target: 100 },
    { duration: '5m', target: 100 },
    { duration: '2m', target: 200 },
    { duration: '5m', target: 200 },
    { duration: '2m', target: 0 },
  ],
  soak: [
    { duration: '5m', target: 100 },
    { duration: __ENV.SOAK_HOLD || '1h', target: 100 },
    { duration: '5m', target: 0 },
  ],
  // As bench/soak/run overload: a baseline, a jump to twice the load's
  // peak, and a drop back to see the recovery.
  spike: [
    { duration: '1m', target: 50 },
    { duration: '1m', target: 50 },
    { duration: '30s', target: 400 },
    { duration: '2m', target: 400 },
    { duration: '30s', target: 50 },
    { duration: '2m', target: 50 },
    { duration: '30s', target: 0 },
  ],
};
if (!PROFILES[PROFILE]) {
  throw new Error(`PROFILE=${PROFILE}: one of ${Object.keys(PROFILES).join(', ')}`);
}

export const options = {
  scenarios: {
    [PROFILE]: { executor: 'ramping-vus', startVUs: 1, stages: PROFILES[PROFILE], gracefulRampDown: '30s' },
  },
  thresholds: {
    // The original SciFind's two.
    http_req_duration: ['p(95)<500'],
    http_req_failed: ['rate<0.05'],
    // scifind's own. The answers that count: p99 within the original's 2 s check.
    'http_req_duration{expected_response:true}': ['p(99)<2000'],
    // A cache hit is served from the memory tier (bench/cache/run).
    'http_req_duration{kind:hit}': ['p(99)<200'],
    // Shedding: none at the planned load; under the spike at most half
    // (twice the capacity, scifind keeps serving its capacity), and fast.
    scifind_shed: [PROFILE === 'spike' ? 'rate<0.5' : 'rate<0.01'],
    'http_req_duration{status:503}': ['p(99)<100'],
    scifind_bad_refused: ['rate>0.99'],
    checks: ['rate>0.95'],
  },
};

const shed = new Rate('scifind_shed'); // searches answered 503 (shed), per kind
const cacheHits = new Rate('scifind_cache_hits'); // 200s from a cache tier (X-Cache)
const badRequests = new Counter('scifind_bad_requests'); // bad requests sent
const badRefused = new Rate('scifind_bad_refused'); // ... and answered 400

const AUTH = API_KEY ? { Authorization: `Bearer ${API_KEY}` } : {};
const JSON_BODY = Object.assign({ 'Content-Type': 'application/json' }, AUTH);
// 503 is scifind shedding a search: counted by scifind_shed, not as a failure.
const SEARCH_OK = http.expectedStatuses(200, 503);
const HEALTH_OK = http.expectedStatuses(200);
const BAD_OK = http.expectedStatuses(400);

function params(kind, name, responseCallback) {
  const headers = name.startsWith('POST') ? JSON_BODY : AUTH;
  return { headers, tags: { kind, name }, responseCallback, timeout: '10s' };
}

function qs(o) {
  return Object.entries(o).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

function pick(a) {
  return a[Math.floor(Math.random() * a.length)];
}

function int(lo, hi) {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

function papers(r) {
  try {
    return r.json('papers').length;
  } catch (e) {
    return 0;
  }
}

// The checks of a search answer; a 503 must say when to come back.
function searched(kind, res, nonEmpty = papers) {
  shed.add(res.status === 503, { kind });
  if (res.status === 503) {
    check(res, { 'shed with Retry-After': (r) => !!r.headers['Retry-After'] }, { kind });
    return;
  }
  check(res, {
    'status is 200': (r) => r.status === 200,
    'answered under 2 s': (r) => r.timings.duration < 2000,
    'papers not empty': (r) => nonEmpty(r) > 0,
  }, { kind });
  if (res.status === 200) {
    const x = res.headers['X-Cache'] || '';
    cacheHits.add((x !== '' && !x.startsWith('search')) || res.headers['X-Cache-Status'] === 'HIT', { kind });
  }
}

const KINDS = {
  hit() {
    const body = { query: pick(POPULAR), limit: 10 };
    searched('hit', http.post(`${BASE_URL}/v1/search`, JSON.stringify(body),
      params('hit', 'POST /v1/search', SEARCH_OK)));
  },
  paged() {
    const q = { query: pick(POPULAR), limit: 10, offset: 10 * int(1, 3) };
    searched('paged', http.get(`${BASE_URL}/v1/search?${qs(q)}`,
      params('paged', 'GET /v1/search', SEARCH_OK)));
  },
  miss() {
    const [query, year] = pick(MISSES);
    const body = { query, year_from: year - int(0, 4), year_to: year + int(0, 4), limit: 10 };
    searched('miss', http.post(`${BASE_URL}/v1/search`, JSON.stringify(body),
      params('miss', 'POST /v1/search', SEARCH_OK)));
  },
  bad() {
    // bench/soak/mix.lua's three: limit out of range, no query, a bad date.
    const q = pick([{ query: 'graph', limit: 0 }, { limit: 5 }, { query: 'x', date_from: '2020-13-45' }]);
    const res = http.get(`${BASE_URL}/v1/search?${qs(q)}`, params('bad', 'GET /v1/search', BAD_OK));
    badRequests.add(1);
    badRefused.add(res.status === 400);
    check(res, { 'bad request refused (400)': (r) => r.status === 400 }, { kind: 'bad' });
  },
  batch() {
    const body = { searches: [{ query: pick(POPULAR), limit: 5 }, { query: pick(POPULAR), limit: 5 }] };
    const all = (r) => {
      try {
        return r.json('results').every((x) => x.status === 200 && x.papers.length > 0) ? 1 : 0;
      } catch (e) {
        return 0;
      }
    };
    searched('batch', http.post(`${BASE_URL}/v1/search/batch`, JSON.stringify(body),
      params('batch', 'POST /v1/search/batch', SEARCH_OK)), all);
  },
};

// The weights; hit + paged = the soak's 60 hits, and 8 misses, 16 bad.
export const MIX = Object.fromEntries((__ENV.MIX || 'hit:52,paged:8,miss:8,bad:16,batch:0')
  .split(',').map((kv) => {
    const [k, w] = kv.split(':');
    if (!KINDS[k] || !(Number(w) >= 0)) throw new Error(`MIX: '${kv}' is not <kind>:<weight>`);
    return [k, Number(w)];
  }));
const TOTAL = Object.values(MIX).reduce((a, b) => a + b, 0);
if (!(TOTAL > 0)) throw new Error('MIX: every weight is 0');

export default function () {
  const res = http.get(`${BASE_URL}/health`, params('health', 'GET /health', HEALTH_OK));
  check(res, { 'health is 200': (r) => r.status === 200 }, { kind: 'health' });
  let r = Math.random() * TOTAL;
  for (const [kind, w] of Object.entries(MIX)) {
    r -= w;
    if (r < 0) {
      KINDS[kind]();
      break;
    }
  }
  sleep(1);
}
