// The articles of a newsdedup HTML report, drawn on demand from the JSON
// data block. Text from the input is only ever set as textContent or as the
// value of attributes chosen here; links are '#' fragments built from
// numbers.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('nd-data').textContent);
  var LIST_LIMIT = 300;
  var KIND_NAMES = {
    duplicate: 'duplicate', near_duplicate: 'near-duplicate', boilerplate: 'boilerplate',
    link: 'link', furniture: 'page furniture', empty: 'empty'
  };
  var firstById = new Map();
  data.forEach(function (a, k) { if (!firstById.has(a.i)) { firstById.set(a.i, k); } });

  var kindSelect = document.getElementById('filter-kind');
  var ruleSelect = document.getElementById('filter-rule');
  var idInput = document.getElementById('filter-id');
  var list = document.getElementById('article-list');
  var count = document.getElementById('filter-count');
  var view = document.getElementById('article-view');

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function fillSelect(select, values, label) {
    values.forEach(function (v) { select.appendChild(el('option', { value: v }, label ? label(v) : v)); });
  }
  var kinds = new Set(), rules = new Set();
  data.forEach(function (a) { a.m.forEach(function (m) { kinds.add(m.k); if (m.r) { rules.add(m.r); } }); });
  fillSelect(kindSelect, Array.from(kinds).sort(), function (k) { return KIND_NAMES[k] || k; });
  fillSelect(ruleSelect, Array.from(rules).sort());

  var current = -1;

  function matches(a) {
    var kind = kindSelect.value, rule = ruleSelect.value, id = idInput.value.trim().toLowerCase();
    if (id && a.i.toLowerCase().indexOf(id) < 0) { return false; }
    if (!kind && !rule) { return true; }
    return a.m.some(function (m) { return (!kind || m.k === kind) && (!rule || m.r === rule); });
  }

  function drawList() {
    list.textContent = '';
    var shown = 0, total = 0;
    for (var k = 0; k < data.length; k++) {
      if (!matches(data[k])) { continue; }
      total++;
      if (shown >= LIST_LIMIT) { continue; }
      shown++;
      var a = data[k];
      var link = el('a', { href: '#article=' + k, 'data-index': String(k) });
      link.appendChild(el('span', { 'class': 'count', title: 'removals' }, String(a.m.length)));
      link.appendChild(document.createTextNode(a.i));
      if (k === current) { link.setAttribute('aria-current', 'true'); }
      var item = el('li');
      item.appendChild(link);
      list.appendChild(item);
    }
    if (total > shown) {
      list.appendChild(el('li', { 'class': 'more' }, (total - shown) + ' more: narrow the filter or search by id.'));
    }
    count.textContent = total + ' of ' + data.length + ' articles';
  }

  function describe(m) {
    var parts = [KIND_NAMES[m.k] || m.k];
    if (m.r) { parts.push('rule ' + m.r); }
    if (typeof m.y === 'number') { parts.push('similarity ' + m.y.toFixed(3)); }
    if (typeof m.c === 'number') { parts.push('containment ' + m.c.toFixed(3)); }
    if (typeof m.w === 'number') { parts.push('coverage ' + m.w.toFixed(3)); }
    return parts.join(', ');
  }

  function keptLink(m) {
    var target = firstById.get(m.o[0]);
    var label = 'kept copy: ' + m.o[0] + ' \u00B6' + m.o[1];
    if (target === undefined) {
      return el('span', { 'class': 'kept-link absent', title: 'not in this report' }, label);
    }
    return el('a', { 'class': 'kept-link', href: '#article=' + target + '&p=' + m.o[1] }, label);
  }

  function drawArticle(k, paragraph) {
    var a = data[k];
    current = k;
    view.textContent = '';
    view.setAttribute('data-index', String(k));
    view.appendChild(el('h3', { id: 'article-title' }, a.i));
    var meta = a.s + ' \u2014 ' + a.m.length + ' removals';
    if (a.d) { meta += ' \u2014 repeats ' + a.d + ' whole'; }
    if (a.x) { meta += ' \u2014 dropped as mostly repeated'; }
    view.appendChild(el('p', { 'class': 'meta' }, meta));
    var legend = el('p', { 'class': 'legend', 'aria-label': 'Kinds' });
    Array.from(new Set(a.m.map(function (m) { return m.k; }))).sort().forEach(function (kind) {
      legend.appendChild(el('mark', { 'class': 'k-' + kind }, KIND_NAMES[kind] || kind));
    });
    view.appendChild(legend);
    var marks = a.m.slice().sort(function (x, y) { return x.s - y.s; });
    var next = 0;
    a.p.forEach(function (span, p) {
      var para = el('p', { 'class': 'para', id: 'p-' + p, 'data-paragraph': String(p) });
      var at = span[0];
      while (next < marks.length && marks[next].e <= span[0]) { next++; }
      for (var j = next; j < marks.length && marks[j].s < span[1]; j++) {
        var m = marks[j];
        var s = Math.max(m.s, span[0]), e = Math.min(m.e, span[1]);
        if (s > at) { para.appendChild(document.createTextNode(a.t.slice(at, s))); }
        var mark = el('mark', {
          'class': 'k-' + m.k, tabindex: '0', title: describe(m),
          'data-kind': m.k, 'data-rule': m.r || ''
        }, a.t.slice(s, e));
        mark.appendChild(el('span', { 'class': 'info' }, describe(m)));
        para.appendChild(mark);
        if (m.o && e === m.e) { para.appendChild(keptLink(m)); }
        at = Math.max(at, e);
      }
      if (at < span[1]) { para.appendChild(document.createTextNode(a.t.slice(at, span[1]))); }
      if (p === paragraph) { para.classList.add('target'); }
      view.appendChild(para);
    });
    drawList();
    var target = paragraph === undefined ? null : document.getElementById('p-' + paragraph);
    if (target) {
      target.setAttribute('tabindex', '-1');
      target.scrollIntoView();
      target.focus();
    } else {
      view.focus({ preventScroll: true });
    }
  }

  function route() {
    var hash = location.hash.slice(1);
    var params = new Map(hash.split('&').map(function (kv) {
      var i = kv.indexOf('=');
      return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
    }));
    // Filters in the address: kind=, rule=, q= (part of an id).
    var filtered = false;
    [['kind', kindSelect], ['rule', ruleSelect], ['q', idInput]].forEach(function (pair) {
      if (!params.has(pair[0])) { return; }
      var value;
      try { value = decodeURIComponent(params.get(pair[0])); } catch (e) { return; }
      if (pair[1].tagName === 'SELECT' && !Array.from(pair[1].options).some(function (o) { return o.value === value; })) {
        return;
      }
      pair[1].value = value;
      filtered = true;
    });
    if (filtered) { drawList(); }
    var k;
    if (params.has('id')) {
      try { k = firstById.get(decodeURIComponent(params.get('id'))); } catch (e) { return; }
    } else if (params.has('article')) {
      k = Number(params.get('article'));
    }
    if (!Number.isInteger(k) || k < 0 || k >= data.length) { return; }
    var p = params.has('p') ? Number(params.get('p')) : undefined;
    drawArticle(k, Number.isInteger(p) ? p : undefined);
  }

  [kindSelect, ruleSelect].forEach(function (s) { s.addEventListener('change', drawList); });
  idInput.addEventListener('input', drawList);
  window.addEventListener('hashchange', route);
  drawList();
  route();
  document.body.setAttribute('data-ready', 'true');
}());
