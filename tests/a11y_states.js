/* axe-core over every state of a page, running axe only on what a state changes.

   tests/test_web.py loads a page, injects axe and this file, then puts the page
   through its states (viewport widths, the phone contents menu open and closed)
   and calls bookA11y.check() in each, which checks it in the light and the dark
   theme. One full axe run
   of the one-page edition takes minutes, mostly in color-contrast, so each check
   runs axe only where the state can have changed the verdict:

   - structure (every rule axe runs by default but the three below): on the whole
     page the first time, then only on elements that no earlier state showed (the
     phone menu button, the contents once opened, the desktop's section lists);
   - scrollable-region-focusable: on the elements that scroll in this state and
     did not scroll in any state checked before (narrower widths make more listings
     and tables scroll);
   - color-contrast and link-in-text-block: on one element of each text style not
     checked before, on this page or an earlier one. A style is everything these
     rules read: the text's colour, shadow and fill, whether it is small or large
     text, the backgrounds behind it down to the first opaque one, every opacity,
     blend and filter above it, and for a link its weight, decoration and the text
     around it. The styles already checked are kept by the
     test across pages (`known`), so toggling the theme or going below 900 px
     (smaller type) brings new styles to check, and a page whose styles were all
     checked on earlier pages needs no contrast run. A style counts as checked only
     once axe has judged an element of it (passed or failed it); otherwise all the
     other elements of the style are tried in a second run.

   Computed styles and visibility change only with the media queries that match
   and the page's attributes and content, so they are worked out again only when
   one of those differs from every state seen before; a new width alone only asks
   which elements scroll.

   check(where, themes) checks the page in each theme and returns the serious and
   critical violations, the styles it checked and the axe runs it made. */
window.bookA11y = (function () {
  "use strict";
  var COLOR = ["color-contrast", "link-in-text-block"];
  var SCROLL = ["scrollable-region-focusable"];
  var seenVisible = new WeakSet();
  var seenScrolling = new WeakSet();
  var checkedOnce = false;

  /* What computed styles and visibility depend on: matching media queries, changed attributes, content. */
  var queries = [];
  function collect(rules) {
    Array.prototype.forEach.call(rules, function (rule) {
      if (rule.media && rule.media.mediaText) queries.push(rule.media.mediaText);
      if (rule.cssRules) collect(rule.cssRules);
    });
  }
  Array.prototype.forEach.call(document.styleSheets, function (sheet) {
    if (sheet.media && sheet.media.mediaText) queries.push(sheet.media.mediaText);
    collect(sheet.cssRules);  /* throws for file:// pages: the test serves them over http */
  });
  var changed = new Map(), refilled = new Set();
  function note(m) {
    if (m.type === "attributes") {
      changed.set(m.target, (changed.get(m.target) || new Set()).add(m.attributeName));
    } else {
      var element = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (element) refilled.add(element);
    }
  }
  var observer = new MutationObserver(function (records) { records.forEach(note); });
  observer.observe(document, {attributes: true, childList: true, characterData: true, subtree: true});
  function hash(text) {
    var h = 5381;
    for (var i = 0; i < text.length; i++) h = (h * 33 + text.charCodeAt(i)) | 0;
    return h;
  }
  function epoch() {
    observer.takeRecords().forEach(note);
    var parts = queries.map(function (q) { return matchMedia(q).matches; });
    changed.forEach(function (names, element) {
      names.forEach(function (name) { parts.push(name + "=" + element.getAttribute(name)); });
    });
    refilled.forEach(function (element) { parts.push(element.isConnected + ":" + hash(element.innerHTML)); });
    return parts.join("\n");
  }
  var epochs = new Map();  /* epoch -> {visible, text styles, elements that may scroll} */

  function survey() {
    var key = epoch();
    if (epochs.has(key)) return epochs.get(key);
    var all = Array.prototype.slice.call(document.body.querySelectorAll("*")).concat([document.body]);
    var visible = all.filter(function (e) { return e.checkVisibility({visibilityProperty: true}); });
    var overflows = visible.filter(function (e) {
      var s = getComputedStyle(e);
      return /auto|scroll/.test(s.overflowX + " " + s.overflowY);
    });
    var found = {visible: visible, styles: styles(visible), overflows: overflows};
    epochs.set(key, found);
    return found;
  }

  function styles(visible) {
    /* What shows behind an element: the backgrounds up to the first opaque one, and every
       opacity, blend and filter up to the root (they apply to the text too). */
    var behind = new Map();
    function backdrop(element) {
      if (!element) return {layers: [], effects: []};
      if (behind.has(element)) return behind.get(element);
      var s = getComputedStyle(element), above = backdrop(element.parentElement), layers = above.layers;
      var painted = s.backgroundColor !== "rgba(0, 0, 0, 0)" || s.backgroundImage !== "none";
      if (painted) {
        var opaque = s.backgroundColor.indexOf("rgba") !== 0 && s.backgroundImage === "none";
        layers = [s.backgroundColor + " " + s.backgroundImage].concat(opaque ? [] : layers);
      }
      var effects = s.opacity !== "1" || s.mixBlendMode !== "normal" || s.filter !== "none" ?
        [s.opacity + " " + s.mixBlendMode + " " + s.filter].concat(above.effects) : above.effects;
      var found = {layers: layers, effects: effects};
      behind.set(element, found);
      return found;
    }
    /* Contrast asks 4.5:1 of small text and 3:1 of large (18 pt, or 14 pt bold): sizes
       clearly on one side are one style; sizes near the limits stay as they are. */
    function size(s) {
      var px = parseFloat(s.fontSize);
      return px < 18 ? "small" : px >= 25 ? "large" : s.fontSize + " " + s.fontWeight;
    }
    var bySignature = new Map();
    visible.forEach(function (element) {
      var text = false;
      for (var n = element.firstChild; n; n = n.nextSibling) {
        if (n.nodeType === 3 && n.textContent.trim()) { text = true; break; }
      }
      if (!text) return;
      var s = getComputedStyle(element), back = backdrop(element);
      var signature = [s.color, size(s), s.textShadow, s.webkitTextFillColor, s.webkitTextStrokeWidth,
                       back.layers.join(" / "), back.effects.join(" / ")];
      var link = element.closest("a[href]");
      if (link) {
        var around = getComputedStyle(link.parentElement);
        signature.push("link", s.fontWeight, s.textDecorationLine, s.textDecorationColor, s.borderBottomStyle,
                       around.color, around.fontWeight, around.display);
      }
      var key = signature.join(" | ");
      if (!bySignature.has(key)) bySignature.set(key, []);
      bySignature.get(key).push(element);
    });
    return bySignature;
  }

  function serious(results, where) {
    return results.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; })
      .map(function (v) {
        return where + " " + v.id + ": " + v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); }).join(" | ");
      });
  }
  function topmost(list) {
    var set = new Set(list);
    return list.filter(function (e) { return !set.has(e.parentElement); });
  }
  async function run(found, kind, context, options) {
    var started = performance.now();
    var results = await axe.run(context, options);
    found.runs.push([kind, context === document ? "page" : context.include.length, Math.round(performance.now() - started)]);
    return results;
  }

  async function structure(survey, found) {
    var fresh = survey.visible.filter(function (e) { return !seenVisible.has(e); });
    if (!fresh.length) return [];
    fresh.forEach(function (e) { seenVisible.add(e); });
    var rules = {};
    COLOR.concat(SCROLL).forEach(function (id) { rules[id] = {enabled: false}; });
    var context = checkedOnce ? {include: topmost(fresh)} : document;
    checkedOnce = true;
    return serious(await run(found, "structure", context, {rules: rules, resultTypes: ["violations"]}), "structure");
  }

  async function scrolling(survey, found) {
    var fresh = survey.overflows.filter(function (e) {
      return !seenScrolling.has(e) && (e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight);
    });
    if (!fresh.length) return [];
    fresh.forEach(function (e) { seenScrolling.add(e); });
    return serious(await run(found, "scrolling", {include: fresh}, {runOnly: SCROLL, resultTypes: ["violations"]}), "scrolling");
  }

  async function colours(survey, known, found) {
    var fresh = [];
    survey.styles.forEach(function (list, key) { if (!known.has(key)) fresh.push({key: key, list: list}); });
    var problems = [];
    for (var round = 0; fresh.length && round < 2; round++) {
      var batch = [];
      fresh.forEach(function (s) { batch = batch.concat(round === 0 ? [s.list[0]] : s.list.slice(1)); });
      var results = await run(found, "colours", {include: batch}, {runOnly: COLOR, elementRef: true});
      problems = problems.concat(serious(results, "colours"));
      var judged = new Set();
      results.passes.concat(results.violations).forEach(function (rule) {
        if (rule.id === "color-contrast") rule.nodes.forEach(function (n) { judged.add(n.element); });
      });
      fresh = fresh.filter(function (s) {  /* judged, or every element of the style tried: settled */
        var settled = round === 1 || s.list.length === 1 || s.list.some(function (e) { return judged.has(e); });
        if (settled) { found.styles.push(s.key); known.add(s.key); }
        return !settled;
      });
    }
    return problems;
  }

  var known = new Set();
  function setTheme(theme) {
    if (document.documentElement.dataset.theme !== theme) document.querySelector(".theme-toggle").click();  /* the reader's toggle */
    if (document.documentElement.dataset.theme !== theme) throw new Error("no " + theme + " theme");
  }
  /* Check the page as it is in each theme (the current one first); `where` names the state in problems. */
  async function check(where, themes) {
    var found = {violations: [], styles: [], runs: [], states: 0};
    var current = document.documentElement.dataset.theme;
    themes = themes.slice().sort(function (a, b) { return (b === current) - (a === current); });
    for (var i = 0; i < themes.length; i++) {
      var started = performance.now();
      setTheme(themes[i]);
      var now = survey(), label = where + " " + themes[i];
      found.runs.push(["survey", 0, Math.round(performance.now() - started)]);
      var problems = [].concat(await structure(now, found), await scrolling(now, found), await colours(now, known, found));
      found.violations = found.violations.concat(problems.map(function (p) { return label + ": " + p; }));
      if (document.documentElement.scrollWidth > window.innerWidth) found.violations.push(label + ": the page scrolls sideways");
      found.states++;
    }
    return found;
  }
  /* The phone contents menu, by its own button; false when the button is not shown at this width. */
  function menu(open) {
    var button = document.querySelector(".toc-toggle");
    if (!button || !button.checkVisibility()) return false;
    if ((button.getAttribute("aria-expanded") === "true") !== open) button.click();
    return true;
  }

  /* know(styles): the text styles checked on earlier pages, given once per page by the test */
  return {check: check, menu: menu, know: function (styles) { styles.forEach(function (s) { known.add(s); }); }};
})();
