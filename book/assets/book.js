/* The web edition's behaviour: theme toggle, copy buttons, offline search.
   No network: the search index is a script file built with the book. */
(function () {
  "use strict";

  /* Theme: follows the system until the reader picks one; the pick is remembered. */
  function currentTheme() { return document.documentElement.getAttribute("data-theme") || "light"; }
  function labelToggle(button) {
    var next = currentTheme() === "dark" ? "light" : "dark";
    button.textContent = next === "dark" ? "Dark theme" : "Light theme";
    button.setAttribute("aria-pressed", currentTheme() === "dark" ? "true" : "false");
  }
  function setupTheme() {
    var button = document.querySelector(".theme-toggle");
    if (!button) return;
    labelToggle(button);
    button.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      document.documentElement.setAttribute("data-theme", next);
      try { localStorage.setItem("book-theme", next); } catch (e) { /* private mode: not remembered */ }
      labelToggle(button);
    });
  }

  /* Copy buttons: copy exactly the code the reader sees. */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }
  function setupCopyButtons() {
    document.querySelectorAll(".listing > pre.code").forEach(function (pre) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy this listing");
      button.addEventListener("click", function () {
        copyText(pre.querySelector("code").textContent).then(function () {
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = "Copy"; }, 1500);
        }, function () { button.textContent = "Copy failed"; });
      });
      pre.parentNode.insertBefore(button, pre);
    });
  }

  /* Search: a prebuilt index of sections, loaded on first use. */
  var index = null;
  function loadIndex(done) {
    if (index) { done(); return; }
    if (window.BOOK_SEARCH_INDEX) { prepare(); done(); return; }
    var script = document.createElement("script");
    script.src = "assets/search-index.js";
    script.onload = function () { prepare(); done(); };
    document.head.appendChild(script);
  }
  function prepare() {
    index = window.BOOK_SEARCH_INDEX.map(function (e) {
      e.lower = e.x.toLowerCase();
      e.titleLower = e.t.toLowerCase();
      return e;
    });
  }
  function escapeHtml(s) {
    return s.replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c]; });
  }
  function search(query) {
    var phrase = query.toLowerCase().trim().replace(/\s+/g, " ");
    var terms = phrase.split(" ").filter(function (t) { return t.length > 1; });
    if (!terms.length) return [];
    var results = [];
    index.forEach(function (e) {
      var score = 0;
      for (var i = 0; i < terms.length; i++) {
        var count = e.lower.split(terms[i]).length - 1;
        if (!count) return;
        score += Math.min(count, 10) + (e.titleLower.indexOf(terms[i]) >= 0 ? 8 : 0);
      }
      if (terms.length > 1 && e.lower.indexOf(phrase) >= 0) score += 25;
      results.push({entry: e, score: score});
    });
    results.sort(function (a, b) { return b.score - a.score; });
    return results.slice(0, 12).map(function (r) { return r.entry; });
  }
  function snippet(entry, query) {
    var phrase = query.toLowerCase().trim().replace(/\s+/g, " ");
    var at = entry.lower.indexOf(phrase);
    var length = phrase.length;
    if (at < 0) { var first = phrase.split(" ")[0]; at = entry.lower.indexOf(first); length = first.length; }
    var start = Math.max(0, at - 70);
    var text = entry.x.slice(start, at) + "\u0000" + entry.x.slice(at, at + length) + "\u0001" + entry.x.slice(at + length, at + length + 90);
    return (start > 0 ? "… " : "") + escapeHtml(text).replace("\u0000", "<mark>").replace("\u0001", "</mark>") + " …";
  }
  function resultHref(entry) {
    if (document.body.getAttribute("data-edition") === "single") return "#" + entry.id;
    return entry.p + (entry.id.indexOf("-") >= 0 ? "#" + entry.id : "");
  }
  function setupSearch() {
    var input = document.getElementById("search-input");
    var panel = document.getElementById("search-results");
    if (!input || !panel) return;
    if (input.form) input.form.addEventListener("submit", function (event) { event.preventDefault(); });
    var timer = null;
    function show() {
      var query = input.value;
      if (query.trim().length < 2) { panel.hidden = true; panel.innerHTML = ""; return; }
      loadIndex(function () {
        var found = search(query);
        panel.hidden = false;
        if (!found.length) { panel.innerHTML = "<p class=\"search-none\">No section contains all of these words.</p>"; return; }
        panel.innerHTML = "<p class=\"search-count\">" + found.length + (found.length === 12 ? "+" : "") +
          " sections</p><ol>" + found.map(function (e) {
            return "<li><a href=\"" + escapeHtml(resultHref(e)) + "\"><span class=\"search-where\">" + escapeHtml(e.c) +
              "</span> <span class=\"search-title\">" + escapeHtml(e.t) + "</span></a><p>" + snippet(e, query) + "</p></li>";
          }).join("") + "</ol>";
      });
    }
    input.addEventListener("focus", function () { loadIndex(function () {}); });
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(show, 120); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { input.value = ""; show(); }
      if (event.key === "Enter") { var first = panel.querySelector("a"); if (first) first.click(); }
    });
    panel.addEventListener("click", function (event) {
      if (event.target.closest("a")) { panel.hidden = true; }
    });
  }

  function start() { setupTheme(); setupCopyButtons(); setupSearch(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
