/* The web edition's search: lunr.js over an index of sections built with the book
   (book/targets/search.py). lunr.min.js and search-index.js load as plain scripts on
   first use, so search works from file:// as well as from a server, with no network.

   A query matches a section that has every word of it (stop words aside). Each word
   matches the words of the book with the same stem ("lifetimes" finds "lifetime"); the
   last word also matches as a prefix while it is typed; a word found neither way is
   matched with one typo (two from eight letters: "lifetiem", "borow checker"). Titles
   count ten times the text, so a section titled with the words comes first. */
(function () {
  "use strict";

  var SHOWN = 12;
  var BOOST = {exact: 10, prefix: 3, typo: 1};
  var state = null;     /* {index, docs} once loaded */
  var waiting = null;   /* callbacks while loading */

  function loadScript(src, done, fail) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = done;
    script.onerror = fail;
    document.head.appendChild(script);
  }
  function load(done, fail) {
    if (state) { done(); return; }
    if (waiting) { waiting.push([done, fail]); return; }
    waiting = [[done, fail]];
    function finish(ok) {
      var callbacks = waiting;
      waiting = null;
      callbacks.forEach(function (c) { (ok ? c[0] : c[1])(); });
    }
    function failed() { finish(false); }
    loadScript("assets/lunr.min.js", function () {
      loadScript("assets/search-index.js", function () {
        state = {index: window.lunr.Index.load(window.BOOK_SEARCH.index), docs: window.BOOK_SEARCH.docs};
        finish(true);
      }, failed);
    }, failed);
  }

  /* The same steps as words() and term() in search.py. */
  function words(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .split(/[^a-z0-9_]+/).filter(function (w) { return w; });
  }
  var termCache = Object.create(null);
  function term(word) {
    if (!(word in termCache)) {
      var token = window.lunr.stopWordFilter(window.lunr.trimmer(new window.lunr.Token(word)));
      termCache[word] = token && token.toString() ? window.lunr.stemmer(token).toString() : null;
    }
    return termCache[word];
  }

  /* The index terms one query word stands for, each with its boost. */
  function expand(word, typing) {
    var lunr = window.lunr, tokens = state.index.tokenSet, found = {}, any = false;
    function add(set, boost) {
      tokens.intersect(set).toArray().forEach(function (t) {
        if (!(t in found) || found[t] < boost) found[t] = boost;
        any = true;
      });
    }
    var stem = term(word);
    if (stem) add(lunr.TokenSet.fromString(stem), BOOST.exact);
    if (typing) add(lunr.TokenSet.fromString(word + "*"), BOOST.prefix);
    if (!any && stem && word.length >= 4) add(lunr.TokenSet.fromFuzzyString(stem, word.length >= 8 ? 2 : 1), BOOST.typo);
    return {word: word, stop: !stem && !typing, terms: found, empty: !any};
  }

  function search(query) {
    var list = words(query);
    var typing = !/\s$/.test(query);
    var parts = list.map(function (w, i) { return expand(w, typing && i === list.length - 1); })
      .filter(function (p) { return !p.stop; });
    if (!parts.length || parts.some(function (p) { return p.empty; })) return [];
    var results = state.index.query(function (q) {
      parts.forEach(function (p) {
        Object.keys(p.terms).forEach(function (t) { q.term(t, {usePipeline: false, boost: p.terms[t]}); });
      });
    });
    return results.filter(function (r) {
      var matched = r.matchData.metadata;
      return parts.every(function (p) { return Object.keys(p.terms).some(function (t) { return t in matched; }); });
    }).map(function (r) { return {doc: state.docs[Number(r.ref)], terms: r.matchData.metadata}; });
  }

  /* Highlighting: a word is marked when one of its index terms matched. */
  function escapeHtml(s) {
    return s.replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c]; });
  }
  function hits(text, matched) {
    var found = [], pattern = /[\p{L}\p{M}\p{N}_]+/gu, m;
    while ((m = pattern.exec(text))) {
      if (words(m[0]).some(function (w) { var t = term(w); return t && t in matched; })) {
        found.push({start: m.index, end: m.index + m[0].length, term: term(words(m[0])[0])});
      }
    }
    return found;
  }
  function marked(text, found, from, to) {
    var out = "", at = from;
    found.forEach(function (h) {
      if (h.start < from || h.end > to) return;
      out += escapeHtml(text.slice(at, h.start)) + "<mark>" + escapeHtml(text.slice(h.start, h.end)) + "</mark>";
      at = h.end;
    });
    return out + escapeHtml(text.slice(at, to));
  }
  /* About 200 characters of the text that show the most different matched words. */
  function snippet(doc, matched) {
    var text = doc.x, found = hits(text, matched), width = 200;
    var best = 0, bestCount = -1;
    for (var i = 0; i < found.length; i++) {
      var seen = {};
      for (var j = i; j < found.length && found[j].end - found[i].start <= width; j++) seen[found[j].term] = true;
      var count = Object.keys(seen).length;
      if (count > bestCount) { best = i; bestCount = count; }
    }
    var first = found.length ? found[best].start : 0, from = Math.max(0, first - 60);
    var sentence = text.lastIndexOf(". ", first);  /* start with the sentence when it starts close enough */
    if (sentence >= 0 && sentence >= first - 120) { from = sentence + 2; } else if (from > 0) {
      var space = text.indexOf(" ", from);
      from = space >= 0 && space < first ? space + 1 : from;
    }
    var to = Math.min(text.length, from + width + 60);
    if (to < text.length) { var cut = text.lastIndexOf(" ", to); to = cut > from ? cut : to; }
    return (from > 0 ? "… " : "") + marked(text, found, from, to) + (to < text.length ? " …" : "");
  }

  function resultHref(doc) {
    if (document.body.getAttribute("data-edition") === "single") return "#" + doc.id;
    return doc.p + (doc.o ? "" : "#" + doc.id);
  }

  function setup() {
    var input = document.getElementById("search-input");
    var panel = document.getElementById("search-results");
    var status = document.getElementById("search-status");
    if (!input || !panel) return;
    var timer = null;

    function say(text) { if (status) status.textContent = text; }
    function hide() { panel.hidden = true; }
    function links() { return Array.prototype.slice.call(panel.querySelectorAll("a")); }
    function show() {
      var query = input.value;
      if (query.trim().length < 2) { hide(); panel.innerHTML = ""; delete panel.dataset.query; say(""); return; }
      load(function () {
        if (input.value !== query) return;  /* typed on meanwhile */
        var found = search(query);
        panel.hidden = false;
        panel.dataset.query = query;  /* what the results are for (tests wait for it) */
        if (!found.length) {
          panel.innerHTML = "<p class=\"search-none\">No section matches “" + escapeHtml(query.trim()) + "”.</p>";
          say("No section matches " + query.trim());
          return;
        }
        var count = found.length > SHOWN ? "The best " + SHOWN + " of " + found.length + " sections" :
          found.length + (found.length === 1 ? " section" : " sections");
        panel.innerHTML = "<p class=\"search-count\">" + count + "</p><ol>" + found.slice(0, SHOWN).map(function (r) {
          var doc = r.doc;
          var where = doc.o ? "" : "<span class=\"search-where\">" + escapeHtml(doc.c) + "</span> ";
          return "<li><a href=\"" + escapeHtml(resultHref(doc)) + "\">" + where +
            "<span class=\"search-title\">" + marked(doc.t, hits(doc.t, r.terms), 0, doc.t.length) +
            "</span></a><p>" + snippet(doc, r.terms) + "</p></li>";
        }).join("") + "</ol>";
        say(count + " found; press the down arrow to go through them");
      }, function () {
        panel.hidden = false;
        panel.innerHTML = "<p class=\"search-none\">Search could not load its index.</p>";
      });
    }
    /* A result on this page: close the results and take the focus to the section. */
    function opened(link) {
      hide();
      var url = new URL(link.href, location.href);
      if (url.pathname !== location.pathname || !url.hash) return;
      var target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
      if (!target) return;
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus({preventScroll: true});  /* the link's own navigation scrolls to it */
    }

    input.addEventListener("focus", function () { load(function () {}, function () {}); });
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(show, 120); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && !panel.hidden && links().length) {
        event.preventDefault();
        links()[0].focus();
      } else if (event.key === "Enter") {
        event.preventDefault();
        clearTimeout(timer);
        if (panel.hidden || !panel.innerHTML) { show(); return; }
        var first = links()[0];
        if (first) first.click();
      } else if (event.key === "Escape") {
        event.preventDefault();
        if (!panel.hidden) { hide(); } else { input.value = ""; panel.innerHTML = ""; say(""); }
      }
    });
    panel.addEventListener("keydown", function (event) {
      var all = links(), at = all.indexOf(document.activeElement);
      if (at < 0) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var next = at + (event.key === "ArrowDown" ? 1 : -1);
        if (next < 0) { input.focus(); } else if (next < all.length) { all[next].focus(); }
      } else if (event.key === "Escape") {
        event.preventDefault();
        hide();
        input.focus();
      }
    });
    panel.addEventListener("click", function (event) {
      var link = event.target.closest("a");
      if (link) opened(link);
    });
    document.addEventListener("pointerdown", function (event) {
      if (!panel.hidden && !panel.contains(event.target) && !input.contains(event.target) && event.target !== input) hide();
    });
  }

  /* for tests/test_web.py: the same word splitting and terms as the index, and the search itself */
  window.bookSearch = {load: load, words: words, term: term, search: function (q) { return search(q).map(function (r) { return r.doc; }); }};
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setup); } else { setup(); }
})();
