// What the new deck and new image forms do in the browser, both usable without it: models
// shown for the chosen provider, pictures dropped on the drop zone, an outline file read
// into the outline box.
(function () {
  "use strict";

  // The model list's groups are named after providers: show the chosen provider's only.
  function followProvider(providerSelect, modelSelect) {
    if (!providerSelect || !modelSelect) { return; }
    function update() {
      var groups = modelSelect.querySelectorAll("optgroup");
      groups.forEach(function (group) {
        var mine = group.label === providerSelect.value;
        group.hidden = !mine;
        group.disabled = !mine;
      });
      var chosen = modelSelect.selectedOptions[0];
      if (chosen && chosen.parentElement.disabled) { modelSelect.value = ""; }
    }
    providerSelect.addEventListener("change", update);
    update();
  }

  function listFiles(input, list) {
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      item.textContent = file.name + " (" + Math.ceil(file.size / 1024) + " KB)";
      list.appendChild(item);
    });
  }

  function dropZone(zone, input, list) {
    if (!zone || !input) { return; }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    input.addEventListener("change", function () { listFiles(input, list); });
  }

  function modePictures(form, pictures) {
    if (!form || !pictures) { return; }
    function update() {
      var checked = form.querySelector("input[name=mode]:checked");
      pictures.hidden = !checked || checked.value !== "image";
    }
    form.querySelectorAll("input[name=mode]").forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  function outlineFile(input, outline) {
    if (!input || !outline || !window.FileReader) { return; }
    input.addEventListener("change", function () {
      var file = input.files[0];
      if (!file) { return; }
      var reader = new FileReader();
      reader.onload = function () {
        outline.value = reader.result;
        outline.dispatchEvent(new Event("input", { bubbles: true }));
      };
      reader.readAsText(file);
    });
  }

  followProvider(document.getElementById("id_provider"), document.getElementById("id_model"));
  dropZone(document.getElementById("dropzone"), document.getElementById("id_files"),
           document.getElementById("file-list"));
  modePictures(document.getElementById("image-form"), document.getElementById("pictures"));
  outlineFile(document.getElementById("id_outline_file"), document.getElementById("id_outline"));
}());
