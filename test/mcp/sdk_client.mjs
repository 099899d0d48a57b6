// The official MCP TypeScript SDK's client against a running scifind:
//   node sdk_client.mjs SDK_DIR http BASE_URL
//   node sdk_client.mjs SDK_DIR stdio BASE_URL SCIFIND_BINARY
// Connects (streamable HTTP to BASE_URL/mcp, or stdio through `scifind mcp
// --url BASE_URL`), lists the tools, calls each one (the SDK validates
// structuredContent against the tool's outputSchema), and checks that
// search finds the papers GET /v1/search returns for the same query.
// Prints one JSON line of what it saw; exits 1 on the first failure.
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [sdkDir, mode, base, binary] = process.argv.slice(2);
const esm = (p) => pathToFileURL(path.join(sdkDir, 'node_modules/@modelcontextprotocol/sdk/dist/esm', p)).href;
const { Client } = await import(esm('client/index.js'));
const { StreamableHTTPClientTransport } = await import(esm('client/streamableHttp.js'));
const { StdioClientTransport } = await import(esm('client/stdio.js'));

function fail(msg) {
  console.log(JSON.stringify({ ok: false, error: msg }));
  process.exit(1);
}

const query = 'graph neural networks';
const client = new Client({ name: 'scifind-blackbox', version: '1.0.0' });
const transport = mode === 'http'
  ? new StreamableHTTPClientTransport(new URL(base + '/mcp'))
  : new StdioClientTransport({ command: binary, args: ['mcp', '--url', base], stderr: 'inherit' });
const timer = setTimeout(() => fail('timed out'), 60000);
try {
  await client.connect(transport);
  const out = { ok: true, mode, server: client.getServerVersion(),
                protocol: transport.protocolVersion ?? null, sessionId: transport.sessionId ?? null };
  const { tools } = await client.listTools();
  out.tools = tools.map((t) => t.name).sort();
  for (const name of ['search', 'get_paper', 'get_citations', 'get_references']) {
    const t = tools.find((x) => x.name === name);
    if (!t) fail('tool ' + name + ' missing');
    if (!t.outputSchema || !t.inputSchema) fail('tool ' + name + ' has no schemas');
  }

  // search: the SDK checks structuredContent against outputSchema.
  const r = await client.callTool({ name: 'search', arguments: { query, limit: 10 } });
  if (r.isError) fail('search failed: ' + JSON.stringify(r.content));
  const sc = r.structuredContent;
  if (!sc || !Array.isArray(sc.papers) || sc.papers.length === 0) fail('search found nothing');
  if (!r.content?.[0]?.text) fail('search has no text rendering');
  out.searchIds = sc.papers.map((p) => p.id);
  out.partial = sc.partial;
  out.providers = Object.fromEntries(Object.entries(sc.providers).map(([k, v]) => [k, v.status]));

  const httpAnswer = await (await fetch(base + '/v1/search?' + new URLSearchParams({ query, limit: '10' }))).json();
  out.httpIds = httpAnswer.papers.map((p) => p.id);
  if (JSON.stringify(out.searchIds) !== JSON.stringify(out.httpIds)) fail('search and /v1/search differ: ' + JSON.stringify(out));

  // The next page through next_cursor, within a small byte budget.
  const small = await client.callTool({ name: 'search', arguments: { query, limit: 10, max_bytes: 3000 } });
  const s2 = small.structuredContent;
  if (!s2.next_cursor || s2.returned >= 10) fail('max_bytes did not cut the answer: ' + JSON.stringify(s2).slice(0, 300));
  const more = await client.callTool({ name: 'search', arguments: { query, limit: 10, max_bytes: 3000, cursor: s2.next_cursor } });
  if (more.structuredContent.offset !== s2.returned) fail('cursor did not move on');
  out.budgetPage = [s2.returned, more.structuredContent.offset];

  // full preset: every field of the API's paper.
  const full = await client.callTool({ name: 'search', arguments: { query, limit: 2, fields: 'full' } });
  if (!('sources' in full.structuredContent.papers[0])) fail('fields=full lacks sources');

  // get_paper: a stored paper, or (no store) an error the agent can read.
  const g = await client.callTool({ name: 'get_paper', arguments: { id: out.searchIds[0] } });
  out.getPaper = g.isError ? 'error: ' + g.content[0].text : g.structuredContent.paper.id;
  if (process.env.EXPECT_STORE === '1' && g.isError) fail('get_paper: ' + out.getPaper);
  if (!g.isError) out.getPaperTitle = g.structuredContent.paper.title;

  // get_references: the SDK checks its structuredContent against the
  // tool's outputSchema too; the edges are those of the HTTP route.
  const refId = 'arxiv:cs/0703024';
  const refs = await client.callTool({ name: 'get_references', arguments: { id: refId, limit: 5 } });
  if (refs.isError) fail('get_references failed: ' + JSON.stringify(refs.content));
  out.references = refs.structuredContent.edges.map((e) => e.paper.id);
  const httpRefs = await (await fetch(base + '/v1/papers/' + refId + '/references?limit=5')).json();
  if (JSON.stringify(out.references) !== JSON.stringify(httpRefs.edges.map((e) => e.paper.id)))
    fail('get_references and /references differ: ' + JSON.stringify(out.references));

  // A wrong argument type is a JSON-RPC invalid-params error naming it.
  try {
    await client.callTool({ name: 'search', arguments: { query: 5 } });
    fail('a numeric query was taken');
  } catch (e) {
    if (e.code !== -32602 || !/query/.test(e.message)) fail('bad argument: ' + e.message);
  }
  await client.ping();
  if (mode === 'http') await transport.terminateSession();
  await client.close();
  clearTimeout(timer);
  console.log(JSON.stringify(out));
} catch (e) {
  fail(String(e && e.stack || e));
}
