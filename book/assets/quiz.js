/* Self-check questions in the web edition. Without this script a question still works: the reader
   chooses, then opens "Show the answer". With it, "Check" says right or wrong at once, shows the
   note for each chosen option, and opens the answer and its explanation when the reader is right. */
(function () {
  "use strict";

  function normalise(text) {
    return text.replace(/\r\n?/g, "\n").split("\n").map(function (line) { return line.replace(/\s+$/, ""); })
      .join("\n").replace(/^\n+|\n+$/g, "").trim();
  }

  function chosen(form) {
    return Array.prototype.filter.call(form.querySelectorAll("input"), function (input) { return input.checked; })
      .map(function (input) { return input.value; });
  }

  function say(quiz, text, right) {
    var result = quiz.querySelector(".quiz-result");
    result.textContent = text;
    result.className = "quiz-result " + (right ? "right" : "wrong");
  }

  function checkChoices(quiz, form) {
    var picked = chosen(form);
    if (!picked.length) { say(quiz, "Choose an answer first.", false); return; }
    var correct = (quiz.getAttribute("data-correct") || "").split(",").filter(Boolean);
    quiz.querySelectorAll(".quiz-options > li").forEach(function (item, index) {
      var note = item.querySelector(".quiz-feedback");
      if (note) note.hidden = picked.indexOf(String(index)) < 0;
    });
    var right = picked.length === correct.length && picked.every(function (value) { return correct.indexOf(value) >= 0; });
    finish(quiz, right, right ? "Right." : (correct.length > 1 && picked.some(function (v) { return correct.indexOf(v) >= 0; })
      ? "Partly right: check every option again, or show the answer." : "Not quite. Try again, or show the answer."));
  }

  function checkTracing(quiz, form) {
    var picked = chosen(form)[0];
    if (!picked) { say(quiz, "Choose what happens first.", false); return; }
    var expected = quiz.getAttribute("data-answer");
    if (picked !== expected) { finish(quiz, false, "Not quite. Try again, or show the answer."); return; }
    if (expected === "run") {
      var typed = normalise(quiz.querySelector(".quiz-output").value);
      var real = normalise(quiz.getAttribute("data-output") || "");
      if (typed !== real) {
        finish(quiz, false, typed ? "It does compile and run, but it prints something else. Try again, or show the answer."
                                  : "It does compile and run. What does it print?");
        return;
      }
    }
    finish(quiz, true, "Right.");
  }

  function finish(quiz, right, message) {
    say(quiz, message, right);
    if (right) quiz.querySelector(".quiz-answer").open = true;
  }

  function setup(quiz) {
    var form = quiz.querySelector(".quiz-form");
    var button = quiz.querySelector(".quiz-check");
    if (!form || !button) return;
    button.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (quiz.getAttribute("data-kind") === "tracing") checkTracing(quiz, form); else checkChoices(quiz, form);
    });
    var output = quiz.querySelector(".quiz-output");
    if (output) {  /* typing a prediction picks "It compiles and prints" */
      output.addEventListener("input", function () { form.querySelector('input[value="run"]').checked = true; });
    }
  }

  function start() { document.querySelectorAll("section.quiz[data-kind]").forEach(setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
