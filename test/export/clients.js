// Real consumers of scifind's exports, run by test/blackbox/test_export.py:
//   node clients.js csl FILE   citeproc-js (the engine Zotero uses) renders
//                              the CSL-JSON in FILE to an APA bibliography
//   node clients.js ris FILE   citation-js's RIS plugin reads FILE back
// Each prints one JSON object on stdout; any failure exits 1.
// The style (APA) and locale (en-US) are those @citation-js/plugin-csl ships.
"use strict";
const fs = require("fs");
const path = require("path");

const [mode, file] = process.argv.slice(2);
const text = fs.readFileSync(file, "utf8");

function csl() {
  const CSL = require("citeproc");
  const csl = path.dirname(require.resolve("@citation-js/plugin-csl/package.json"));
  const styles = require(path.join(csl, "lib", "styles.json"));
  const locales = require(path.join(csl, "lib", "locales.json"));
  const items = JSON.parse(text);
  const byId = Object.fromEntries(items.map((it) => [it.id, it]));
  const sys = {
    retrieveLocale: (lang) => locales[lang] || locales["en-US"],
    retrieveItem: (id) => byId[id],
  };
  const engine = new CSL.Engine(sys, styles.apa, "en-US");
  engine.opt.development_extensions.wrap_url_and_doi = false;
  engine.updateItems(items.map((it) => it.id));
  const [meta, entries] = engine.makeBibliography();
  engine.setOutputFormat("text");
  const [, plain] = engine.makeBibliography();
  return { ids: meta.entry_ids.map((e) => e[0]), errors: meta.bibliography_errors,
           html: entries, text: plain };
}

function ris() {
  const { Cite, plugins } = require("@citation-js/core");
  require("@citation-js/plugin-ris");
  // Strict: every record must parse as @ris/file, no guessing of the type.
  const data = plugins.input.chain(text, { forceType: "@ris/file", generateGraph: false });
  return { items: data };
}

try {
  const out = mode === "csl" ? csl() : mode === "ris" ? ris() : null;
  if (!out) throw new Error("mode is csl or ris");
  process.stdout.write(JSON.stringify(out));
} catch (e) {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
}
