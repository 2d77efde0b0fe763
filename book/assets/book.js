/* The web edition's behaviour: theme toggle, copy buttons, the phone contents menu.
   Search is in search.js. */
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
        }, function () { button.textContent = "Failed"; button.setAttribute("aria-label", "Copying failed: select the listing and copy it by hand"); });
      });
      pre.parentNode.insertBefore(button, pre);
    });
  }

  /* Phones: the contents fold away behind a button above the text (screen.css shows
     the button below 900 px). Without this script the contents simply stay open. */
  function setupContentsMenu() {
    var button = document.querySelector(".toc-toggle");
    var nav = document.getElementById("toc");
    if (!button || !nav) return;
    function folds() { return getComputedStyle(button).display !== "none"; }
    function open(yes) { button.setAttribute("aria-expanded", yes ? "true" : "false"); }
    open(false);
    button.addEventListener("click", function () { open(button.getAttribute("aria-expanded") !== "true"); });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && folds() && button.getAttribute("aria-expanded") === "true") {
        open(false);
        button.focus();
      }
    });
    nav.addEventListener("click", function (event) {  /* a link on this page: show where it leads */
      if (event.target.closest("a") && folds()) open(false);
    });
  }

  function start() { setupTheme(); setupCopyButtons(); setupContentsMenu(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
