/* The deck page and the page view, progressively enhanced.
   Deck page: the grid fills in live from the batch's event stream
   (GET /api/v1/batches/{id}/events/: start, page, progress, complete, error); when the stream
   fails before its first event, the batch's JSON (GET /api/v1/batches/{id}/) is polled every
   2 s instead. Page view: while the page is being drawn, its JSON is polled and the view
   reloads once it is done, so the new version shows. Without JavaScript every form still works. */
(function () {
  "use strict";

  var FINAL = ["completed", "partial", "failed", "cancelled"];
  var POLL_MS = 2000;

  function readConfig(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  // Forms that ask first (cancel a deck, delete a page).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  function DeckPage(config) {
    this.config = config;
    this.status = config.status;
    this.grid = document.getElementById("grid");
    this.template = document.getElementById("card-template");
    this.updates = 0;
  }

  DeckPage.prototype.card = function (index) {
    var card = this.grid.querySelector('li[data-index="' + index + '"]');
    if (card) { return card; }
    card = this.template.content.firstElementChild.cloneNode(true);
    card.id = "page-" + index;
    card.setAttribute("data-index", index);
    card.querySelector('[data-role="index"]').textContent = index;
    card.querySelectorAll("a[href], form[action]").forEach(function (node) {
      var attribute = node.tagName === "A" ? "href" : "action";
      node.setAttribute(attribute, node.getAttribute(attribute).replace("/pages/0/", "/pages/" + index + "/"));
    });
    var after = Array.prototype.find.call(this.grid.children, function (other) {
      return Number(other.getAttribute("data-index")) > index;
    });
    this.grid.insertBefore(card, after || null);
    document.getElementById("grid-placeholder").hidden = true;
    return card;
  };

  DeckPage.prototype.skeletons = function (total) {
    for (var index = 1; index <= total; index += 1) { this.card(index); }
  };

  DeckPage.prototype.page = function (data) {
    var card = this.card(data.index);
    var text = this.config;
    var role = function (name) { return card.querySelector('[data-role="' + name + '"]'); };
    if (card.getAttribute("data-status") !== data.status) {
      this.updates += 1;
      this.grid.setAttribute("data-updates", String(this.updates));
    }
    card.setAttribute("data-status", data.status);
    role("status").textContent = text.page_status[data.status] || data.status;
    role("step").textContent = data.status === "running" ? (text.steps[data.step] || "") : "";
    if (data.title) { role("title").textContent = data.title; }
    role("score").textContent = data.score === null || data.score === undefined
      ? "" : format(text.text.score, { score: Number(data.score).toFixed(1) });
    var thumb = role("thumb");
    if (data.thumbnail_url && thumb.getAttribute("src") !== data.thumbnail_url) {
      thumb.setAttribute("src", data.thumbnail_url);
      thumb.hidden = false;
    }
    if (data.error !== undefined) {
      role("reason").textContent = data.error;
    } else if (data.status === "failed") {
      this.refreshSoon(); // a stream's page event carries no reason: the batch's JSON does
    }
    role("reason").hidden = data.status !== "failed";
    role("retry").hidden = data.status !== "failed";
  };

  DeckPage.prototype.refreshSoon = function () {
    var self = this;
    if (this.refreshing) { return; }
    this.refreshing = window.setTimeout(function () {
      getJSON(self.config.detail_url).then(function (batch) {
        self.refreshing = null;
        self.fromDetail(batch);
      }).catch(function () { self.refreshing = null; });
    }, 1000);
  };

  DeckPage.prototype.progress = function (data) {
    var text = this.config.text;
    document.getElementById("deck-progress").value = data.percentage;
    document.getElementById("stat-done").textContent = data.completed + " / " + data.total;
    document.getElementById("stat-failed").textContent = data.failed;
    var eta = data.eta_seconds;
    document.getElementById("stat-eta").textContent = !eta ? "—" : eta >= 90
      ? format(text.eta, { minutes: Math.round(eta / 60) })
      : format(text.eta_seconds, { seconds: Math.round(eta) });
    document.getElementById("stat-cost").textContent = "$" + Number(data.cost_usd || 0).toFixed(4);
    Object.keys(data.steps || {}).forEach(function (step) {
      var row = document.querySelector('#step-counts [data-step="' + step + '"]');
      if (!row) { return; }
      row.querySelector('[data-role="done"]').textContent = data.steps[step].done;
      row.querySelector('[data-role="running"]').textContent = data.steps[step].running;
    });
    document.getElementById("fail-advice").hidden = !(data.failed * 2 > data.total && data.total > 0);
    var downloads = document.getElementById("downloads");
    downloads.querySelector('[data-role="links"]').hidden = !data.completed;
    downloads.querySelector('[data-role="not-ready"]').hidden = Boolean(data.completed);
  };

  DeckPage.prototype.setStatus = function (status) {
    if (status === this.status) { return; }
    if (status === "awaiting_approval") { window.location.reload(); return; }
    this.status = status;
    var node = document.getElementById("deck-status");
    node.textContent = this.config.batch_status[status] || status;
    node.setAttribute("data-status", status);
    var cancel = document.getElementById("cancel-form");
    if (cancel && FINAL.indexOf(status) >= 0) { cancel.hidden = true; }
  };

  DeckPage.prototype.fromDetail = function (batch) {
    var self = this;
    batch.pages.forEach(function (page) {
      self.page({
        index: page.index, kind: page.kind, title: page.title, status: page.status,
        step: page.current_step, attempt: page.attempts, score: page.score,
        thumbnail_url: page.thumbnail, error: page.error
      });
    });
    this.progress(batch.progress);
    this.setStatus(batch.status);
  };

  DeckPage.prototype.poll = function () {
    var self = this;
    getJSON(this.config.detail_url).then(function (batch) {
      self.fromDetail(batch);
      if (FINAL.indexOf(batch.status) < 0) { window.setTimeout(function () { self.poll(); }, POLL_MS); }
    }).catch(function () {
      window.setTimeout(function () { self.poll(); }, POLL_MS * 2);
    });
  };

  DeckPage.prototype.listen = function () {
    var self = this;
    if (!window.EventSource) { this.poll(); return; }
    var heard = false;
    var source = new EventSource(this.config.events_url);
    var on = function (name, handler) {
      source.addEventListener(name, function (event) {
        // "error" is also the name of the connection's own error event, which has no data.
        if (typeof event.data !== "string") { return; }
        heard = true;
        handler(JSON.parse(event.data));
      });
    };
    on("start", function (data) { self.skeletons(data.total_pages); });
    on("page", function (data) { self.page(data); });
    on("progress", function (data) { self.progress(data); });
    on("complete", function (data) {
      source.close();
      self.setStatus(data.status);
      getJSON(self.config.detail_url).then(function (batch) { self.fromDetail(batch); });
    });
    on("error", function (data) {
      if (data && data.message) { document.getElementById("deck-status").textContent = data.message; }
    });
    source.onerror = function () {
      // Before any event the stream is not there (or refused us): poll instead. After one,
      // EventSource reconnects by itself with Last-Event-ID unless it gave up.
      if (!heard || source.readyState === EventSource.CLOSED) {
        source.close();
        self.poll();
      }
    };
  };

  function watchPage(config) {
    if (config.status !== "pending" && config.status !== "running") { return; }
    var check = function () {
      getJSON(config.detail_url).then(function (page) {
        if (page.status !== "pending" && page.status !== "running") {
          window.location.reload();
        } else {
          window.setTimeout(check, POLL_MS);
        }
      }).catch(function () { window.setTimeout(check, POLL_MS * 2); });
    };
    window.setTimeout(check, POLL_MS);
  }

  // A form shown again with an error: take the person to it.
  var invalid = document.querySelector(
    ".has-error input, .has-error textarea, .has-error select, .form-errors"
  );
  if (invalid) {
    if (invalid.classList.contains("form-errors")) { invalid.setAttribute("tabindex", "-1"); }
    invalid.focus();
  }

  var deckConfig = readConfig("deck-config");
  if (deckConfig && FINAL.indexOf(deckConfig.status) < 0) { new DeckPage(deckConfig).listen(); }
  var pageConfig = readConfig("page-config");
  if (pageConfig) { watchPage(pageConfig); }
})();
