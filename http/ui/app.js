// scifind's search page: reads the form, calls /v1/search on the same
// origin, and draws the answer with DOM calls only (no innerHTML with data,
// no inline script or style: the page runs under a strict CSP).
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const form = $('search');
  const q = $('q');
  const FIELDS = ['sort', 'limit', 'year_from', 'year_to', 'author', 'category', 'strategy'];
  const DEFAULTS = { sort: 'relevance', limit: '20', strategy: 'merge' };
  const MAX_OFFSET = 10000;
  let inflight = null;

  // A blocked script or style would be a bug of this page: the tests read it.
  const violations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    violations.push(e.violatedDirective + ' ' + e.blockedURI);
    document.documentElement.dataset.cspViolations = violations.join('; ');
  });

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function safeUrl(u) {
    return typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null;
  }

  function link(href, text, label) {
    const a = el('a', null, text);
    a.href = href;
    a.rel = 'noopener noreferrer';
    if (label) a.setAttribute('aria-label', label);
    return a;
  }

  // The form as the API's query string (defaults left out, like a person would).
  function paramsFromForm() {
    const p = new URLSearchParams();
    p.set('query', q.value.trim());
    for (const f of FIELDS) {
      const v = $(f).value.trim();
      if (v && v !== DEFAULTS[f]) p.set(f, v);
    }
    if ($('open_access').checked) p.set('open_access', 'true');
    const provs = Array.from(form.querySelectorAll('input[name=p]:checked')).map((c) => c.value);
    if (provs.length) p.set('providers', provs.join(','));
    return p;
  }

  function formFromParams(p) {
    q.value = p.get('query') || '';
    let open = false;
    for (const f of FIELDS) {
      const v = p.get(f);
      $(f).value = v || DEFAULTS[f] || '';
      if (v && !(f in DEFAULTS)) open = true; // a filter, not a sort or page size
    }
    $('open_access').checked = p.get('open_access') === 'true';
    const provs = (p.get('providers') || '').split(',').filter(Boolean);
    form.querySelectorAll('input[name=p]').forEach((c) => { c.checked = provs.includes(c.value); });
    if (provs.length || p.get('open_access')) open = true;
    if (open) $('filters').open = true;
  }

  function clear() {
    $('error').hidden = true;
    $('error').textContent = '';
    $('provstatus').hidden = true;
    $('provstatus').textContent = '';
    $('results').textContent = '';
    $('pager').hidden = true;
  }

  function showError(status, body) {
    const box = $('error');
    box.textContent = '';
    const err = body && body.error ? body.error : null;
    box.appendChild(el('strong', null, status ? 'HTTP ' + status + ' ' : 'No answer '));
    if (err && err.code) {
      box.appendChild(el('code', null, err.code));
      box.appendChild(document.createTextNode(': '));
    }
    box.appendChild(document.createTextNode(err && err.message ? err.message
      : 'scifind did not send a readable answer'));
    box.hidden = false;
  }

  function statusWord(s) {
    return String(s).replace(/_/g, ' ');
  }

  function renderProviders(providers) {
    const ul = $('provstatus');
    ul.textContent = '';
    const names = Object.keys(providers || {});
    for (const name of names) {
      const p = providers[name];
      const li = el('li', 's-' + p.status);
      li.dataset.provider = name;
      li.dataset.status = p.status;
      li.appendChild(el('span', 'name', name + ' '));
      li.appendChild(el('span', 'st', statusWord(p.status)));
      const bits = [];
      if (p.status === 'ok' || p.status === 'cached') bits.push(p.results + (p.results === 1 ? ' paper' : ' papers'));
      if (typeof p.latency_ms === 'number') bits.push(Math.round(p.latency_ms) + ' ms');
      if (bits.length) li.appendChild(document.createTextNode(' · ' + bits.join(' · ')));
      if (p.error) li.appendChild(el('span', 'why', ' · ' + p.error));
      ul.appendChild(li);
    }
    ul.hidden = names.length === 0;
  }

  function renderPaper(paper) {
    const li = el('li', 'paper');
    const h = el('h2');
    const main = safeUrl(paper.url) || (paper.doi ? 'https://doi.org/' + paper.doi : null);
    h.appendChild(main ? link(main, paper.title || '(untitled)') : el('span', null, paper.title || '(untitled)'));
    li.appendChild(h);

    const meta = [];
    const authors = paper.authors || [];
    if (authors.length) meta.push(authors.length > 6 ? authors.slice(0, 6).join(', ') + ' et al. (' + authors.length + ')'
      : authors.join(', '));
    if (paper.year) meta.push(String(paper.year));
    if (paper.venue) meta.push(paper.venue);
    if (typeof paper.citation_count === 'number') meta.push(paper.citation_count + ' citations');
    if (meta.length) li.appendChild(el('p', 'meta', meta.join(' · ')));

    if (paper.abstract) {
      const a = paper.abstract.replace(/\s+/g, ' ').trim();
      li.appendChild(el('p', 'abstract', a.length > 320 ? a.slice(0, 317).replace(/\s+\S*$/, '') + ' …' : a));
    }

    const links = el('p', 'links');
    const t = paper.title || 'this paper';
    if (paper.doi) links.appendChild(link('https://doi.org/' + encodeURI(paper.doi), 'DOI ' + paper.doi, 'DOI of ' + t));
    if (paper.arxiv_id) links.appendChild(link('https://arxiv.org/abs/' + encodeURI(paper.arxiv_id), 'arXiv ' + paper.arxiv_id, 'arXiv page of ' + t));
    const pdf = safeUrl(paper.pdf_url);
    if (pdf) links.appendChild(link(pdf, 'PDF', 'PDF of ' + t));
    if (links.childNodes.length) li.appendChild(links);

    const src = el('p', 'sources', 'Found by ');
    for (const s of paper.sources || []) {
      const chip = el('span', 'src', s.provider + ' #' + s.rank);
      chip.dataset.provider = s.provider;
      src.appendChild(chip);
    }
    li.appendChild(src);
    return li;
  }

  function render(status, body, params) {
    clear();
    if (status !== 200 || !body || !Array.isArray(body.papers)) {
      showError(status, body);
      $('summary').textContent = '';
      if (body && body.providers) renderProviders(body.providers);
      return;
    }
    const offset = body.offset || 0;
    const n = body.papers.length;
    const sum = $('summary');
    sum.textContent = body.total === 0 ? 'No papers found'
      : 'Papers ' + (offset + 1) + '–' + (offset + n) + ' of ' + body.total;
    sum.appendChild(document.createTextNode(' · ' + Math.round(body.took_ms) + ' ms'));
    if (body.partial) {
      sum.appendChild(document.createTextNode(' · '));
      sum.appendChild(el('span', 'partial', 'partial: not every provider answered'));
    }
    renderProviders(body.providers);
    const ol = $('results');
    ol.start = offset + 1;
    for (const p of body.papers) ol.appendChild(renderPaper(p));

    const limit = body.limit || 20;
    const pages = Math.max(1, Math.ceil(body.total / limit));
    const page = Math.floor(offset / limit) + 1;
    $('page').textContent = 'Page ' + page + ' of ' + pages;
    $('prev').disabled = offset === 0;
    $('next').disabled = offset + limit >= body.total || offset + limit > MAX_OFFSET;
    $('prev').dataset.offset = String(Math.max(0, offset - limit));
    $('next').dataset.offset = String(offset + limit);
    $('pager').hidden = pages <= 1;
    document.title = (params.get('query') || '') + ' · scifind';
  }

  function search(params, how) {
    if (!params.get('query')) return;
    const url = '?' + params.toString();
    if (how === 'push') history.pushState(null, '', url);
    else if (how === 'replace') history.replaceState(null, '', url);
    if (inflight) inflight.abort();
    const ctl = new AbortController();
    inflight = ctl;
    $('results').setAttribute('aria-busy', 'true');
    $('summary').textContent = 'Searching…';
    fetch('v1/search?' + params.toString(), { headers: { Accept: 'application/json' }, signal: ctl.signal })
      .then((r) => r.text().then((t) => {
        let body = null;
        try { body = JSON.parse(t); } catch (e) { body = null; }
        return [r.status, body];
      }))
      .then(([status, body]) => {
        if (inflight !== ctl) return;
        render(status, body, params);
      })
      .catch((e) => {
        if (e.name === 'AbortError') return;
        clear();
        $('summary').textContent = '';
        showError(0, { error: { message: 'scifind did not answer (' + e.message + ')' } });
      })
      .finally(() => {
        if (inflight === ctl) inflight = null;
        $('results').removeAttribute('aria-busy');
        document.documentElement.dataset.searches = String(Number(document.documentElement.dataset.searches || 0) + 1);
      });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = paramsFromForm();
    if (!p.get('query')) { q.focus(); return; }
    search(p, 'push');
  });

  function page(btn) {
    const p = new URLSearchParams(location.search);
    const off = Number(btn.dataset.offset || 0);
    if (off > 0) p.set('offset', String(off)); else p.delete('offset');
    search(p, 'push');
    $('results').focus();
  }
  $('prev').addEventListener('click', () => page($('prev')));
  $('next').addEventListener('click', () => page($('next')));

  // "/" jumps to the search box from anywhere but a text field.
  document.addEventListener('keydown', (e) => {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
    e.preventDefault();
    q.focus();
    q.select();
  });

  window.addEventListener('popstate', () => {
    const p = new URLSearchParams(location.search);
    formFromParams(p);
    if (p.get('query')) search(p, null); else { clear(); $('summary').textContent = ''; }
  });

  const start = new URLSearchParams(location.search);
  if (start.get('query')) {
    formFromParams(start);
    search(start, null);
  }
  document.documentElement.dataset.ready = '1';
})();
