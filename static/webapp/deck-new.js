// The new deck's cost, asked of the server (the batch service's own estimate) whenever the
// template, the outline or an option changes.
(function () {
  "use strict";
  var form = document.getElementById("deck-form");
  var out = document.getElementById("estimate");
  if (!form || !out || !window.fetch) { return; }
  var timer = null;
  var asked = 0;

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  }

  function ask() {
    var mine = ++asked;
    var body = new FormData(form);
    body.delete("outline_file");
    fetch(form.dataset.estimate, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (mine !== asked) { return; }
        out.classList.toggle("short", answer.enough === false);
        if (answer.error) {
          out.textContent = form.outline.value.trim() ? answer.error : out.dataset.empty;
          return;
        }
        var values = { pages: answer.pages, credits: answer.credits, balance: answer.balance,
                       usd: answer.usd.toFixed(2) };
        out.textContent = fill(answer.enough ? out.dataset.template : out.dataset.short, values);
      })
      .catch(function () { return null; });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(ask, 400);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  if (form.outline.value.trim()) { ask(); }
}());
