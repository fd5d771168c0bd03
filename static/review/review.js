// nanodeck review: the keyboard-first item page. No framework; progressive enhancement only.
(() => {
  "use strict";

  const form = document.getElementById("evaluation");
  if (!form) return;

  const loadedAt = performance.now();
  const seconds = form.elements.namedItem("seconds");
  const secondsBefore = Number(seconds.value) || 0; // kept when the form comes back with errors
  const criteria = [...form.querySelectorAll("fieldset.criterion")];
  const verdicts = [...form.querySelectorAll('input[name="verdict"]')];
  // What to change for regenerate: the instruction, or the first edit (local renderer).
  const instruction = form.querySelector("#instruction-box :is(input, textarea, select)");
  const skipForm = document.getElementById("skip");
  const metrics = document.getElementById("metrics");
  const zoom = document.getElementById("zoom");
  const zoomToggle = document.getElementById("zoom-toggle");
  const help = document.getElementById("keys");
  const VERDICT_KEYS = { a: "accept", x: "reject" };

  const radios = (fieldset) => [...fieldset.querySelectorAll('input[type="radio"]')];
  const checkedOrFirst = (options) => options.find((option) => option.checked) || options[0];
  const scored = (fieldset) => radios(fieldset).some((option) => option.checked);

  function focusCriterion(index) {
    const fieldset = criteria[index];
    checkedOrFirst(fieldset ? radios(fieldset) : verdicts).focus();
  }

  function score(fieldset, digit) {
    const value = digit === "0" ? "10" : digit;
    const option = radios(fieldset).find((candidate) => candidate.value === value);
    option.checked = true;
    focusCriterion(criteria.indexOf(fieldset) + 1);
  }

  function setVerdict(value) {
    verdicts.find((option) => option.value === value).checked = true;
  }

  function toggleZoom() {
    if (!zoom) return;
    const zoomed = zoom.classList.toggle("zoomed");
    zoomToggle.setAttribute("aria-pressed", String(zoomed));
  }

  function typing(target) {
    if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
    if (target instanceof HTMLSelectElement) return true;
    return target instanceof HTMLInputElement && !["radio", "checkbox"].includes(target.type);
  }

  form.addEventListener("submit", () => {
    const elapsed = Math.round((performance.now() - loadedAt) / 1000);
    seconds.value = String(secondsBefore + elapsed);
  });

  if (zoom) {
    zoom.addEventListener("click", toggleZoom);
    zoomToggle.addEventListener("click", toggleZoom);
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.isComposing) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form === form) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(target) || help.open) return;
    const key = event.key.toLowerCase();
    const fieldset = target.closest ? target.closest("fieldset.criterion") : null;
    if (/^[0-9]$/.test(key)) {
      const current = fieldset || criteria.find((candidate) => !scored(candidate));
      if (!current) return;
      event.preventDefault();
      score(current, key);
    } else if (key === "enter") {
      if (target.closest && target.closest("a, button, summary")) return;
      event.preventDefault();
      form.requestSubmit();
    } else if (key in VERDICT_KEYS) {
      event.preventDefault();
      setVerdict(VERDICT_KEYS[key]);
    } else if (key === "r") {
      event.preventDefault(); // the "r" must not land in the instruction box
      setVerdict("regenerate");
      instruction.focus();
    } else if (key === "s") {
      event.preventDefault();
      skipForm.requestSubmit();
    } else if (key === "z") {
      event.preventDefault();
      toggleZoom();
    } else if (key === "m") {
      event.preventDefault();
      metrics.open = !metrics.open;
    } else if (key === "?") {
      event.preventDefault();
      help.showModal();
    }
  });

  const firstUnscored = criteria.findIndex((fieldset) => !scored(fieldset));
  focusCriterion(firstUnscored === -1 ? criteria.length : firstUnscored);
})();
