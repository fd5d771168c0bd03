// One image's live status: the server-sent events of /api/v1/images/{id}/events/ (start,
// progress, complete, error); when the stream cannot be opened, the image's JSON every 2 s.
(function () {
  "use strict";
  var view = document.getElementById("image-view");
  if (!view || view.dataset.final) { return; }
  var labels = JSON.parse(document.getElementById("status-labels").textContent);
  var statusEl = document.getElementById("image-status");
  var progressEl = document.getElementById("image-progress");
  var errorEl = document.getElementById("image-error");
  var picture = document.getElementById("image-picture");
  var skeleton = document.getElementById("image-skeleton");
  var download = document.getElementById("image-download");
  var FINAL = ["completed", "partial", "failed", "cancelled"];
  var POLL_MS = 2000;
  var stream = null;
  var timer = null;
  var done = false;

  function showStatus(status) {
    statusEl.textContent = labels[status] || status;
    statusEl.className = "status status-" + status;
  }

  function render(image) {
    showStatus(image.status);
    if (image.image) {
      picture.src = image.image;
      picture.hidden = false;
      if (skeleton) { skeleton.hidden = true; }
      download.href = image.image;
      download.hidden = false;
    }
    if (image.error) {
      errorEl.textContent = image.error;
      errorEl.hidden = false;
    }
    if (FINAL.indexOf(image.status) >= 0) { finish(); }
  }

  function finish() {
    done = true;
    progressEl.value = 100;
    if (stream) { stream.close(); stream = null; }
    if (timer) { clearTimeout(timer); timer = null; }
  }

  function fetchImage() {
    return fetch(view.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (image) { if (image) { render(image); } });
  }

  function poll() {
    fetchImage().catch(function () { return null; }).then(function () {
      if (!done) { timer = setTimeout(poll, POLL_MS); }
    });
  }

  function listen() {
    if (!window.EventSource) { poll(); return; }
    var opened = false;
    stream = new EventSource(view.dataset.events);
    stream.addEventListener("open", function () { opened = true; });
    stream.addEventListener("start", function () { showStatus("running"); });
    stream.addEventListener("page", function (event) {
      var data = JSON.parse(event.data);
      if (data.status === "completed" || data.status === "failed") { fetchImage(); }
      else if (data.status) { showStatus(data.status); }
    });
    stream.addEventListener("progress", function (event) {
      var data = JSON.parse(event.data);
      if (typeof data.percentage === "number") { progressEl.value = data.percentage; }
    });
    stream.addEventListener("complete", function () { fetchImage().then(finish, finish); });
    stream.addEventListener("error", function (event) {
      if (event.data) {  // the server's own `error` event: {code, message}
        var data = JSON.parse(event.data);
        errorEl.textContent = data.message || data.code;
        errorEl.hidden = false;
        fetchImage().then(finish, finish);
        return;
      }
      // The stream could not be opened (no such endpoint yet, a proxy) or dropped for good:
      // poll instead. A stream that was open reconnects by itself with Last-Event-ID.
      if (!opened || stream.readyState === EventSource.CLOSED) {
        stream.close();
        stream = null;
        if (!done && !timer) { poll(); }
      }
    });
  }

  listen();
}());
