// Patient picker of the booking forms (templates/scheduling/snippets/patient_picker.html).
// htmx asks the server for matches as the user types; this script sends the text as "q",
// moves through the matches with the arrow keys, and puts the chosen patient's id into the
// hidden "patient" input. Without it the form still works: the server resolves the typed text.
(function () {
  "use strict";

  // The server answers shorter searches with a hint only (scheduling.views.PICKER_MIN_CHARS);
  // a number is an MRN and is always worth asking about.
  var MIN_CHARS = 2;

  function worthAsking(text) {
    return text.length >= MIN_CHARS || /^\d+$/.test(text);
  }

  function setup(picker) {
    var input = picker.querySelector("[data-picker-input]");
    var value = picker.querySelector("[data-picker-value]");
    var chosen = picker.querySelector("[data-picker-chosen]");
    var summary = picker.querySelector("[data-picker-chosen-summary]");
    var change = picker.querySelector("[data-picker-change]");
    var search = picker.querySelector("[data-picker-search]");
    var results = picker.querySelector("[data-picker-results]");
    var lookupPath = new URL(input.getAttribute("hx-get"), window.location.href).pathname;
    var active = -1;

    function options() {
      return Array.prototype.slice.call(results.querySelectorAll("[role=option]"));
    }

    function setActive(index) {
      var all = options();
      active = all.length && index >= 0 ? Math.min(index, all.length - 1) : -1;
      all.forEach(function (option, i) {
        var on = i === active;
        option.classList.toggle("active", on);
        option.setAttribute("aria-selected", on ? "true" : "false");
        if (on) {
          input.setAttribute("aria-activedescendant", option.id);
          option.scrollIntoView({block: "nearest"});
        }
      });
      if (active < 0) { input.removeAttribute("aria-activedescendant"); }
    }

    // After the matches change: a single match is highlighted, so Enter takes it.
    function refresh() {
      var count = options().length;
      input.setAttribute("aria-expanded", count ? "true" : "false");
      setActive(count === 1 ? 0 : -1);
    }

    function clearResults() {
      results.replaceChildren();
      refresh();
    }

    function showChosen(on) {
      chosen.hidden = !on;
      change.hidden = !on;
      search.hidden = on;
    }

    function pick(option) {
      value.value = option.dataset.patientPk;
      summary.replaceChildren(option.querySelector("[data-patient-summary]").cloneNode(true));
      // Typed text would win over the choice on the server (scheduling.forms.PatientPickerForm).
      input.value = "";
      clearResults();
      showChosen(true);
      change.focus();
    }

    change.addEventListener("click", function () {
      value.value = "";
      summary.replaceChildren();
      showChosen(false);
      input.focus();
    });

    input.addEventListener("htmx:configRequest", function (event) {
      var q = input.value.trim();
      if (!worthAsking(q)) {
        event.preventDefault();
        clearResults();
        return;
      }
      // "q", like the patient list: the logs strip every query string (kap_clinic/logs.py).
      event.detail.parameters.q = q;
      delete event.detail.parameters[input.name];
    });

    picker.addEventListener("htmx:beforeSwap", function (event) {
      var xhr = event.detail.xhr;
      if (xhr && xhr.responseURL && new URL(xhr.responseURL).pathname !== lookupPath) {
        // Signed out meanwhile (the idle limit): the answer is the sign-in page. Show it whole.
        event.detail.shouldSwap = false;
        window.location.replace(window.location.href.split("#")[0]);
        return;
      }
      // A late answer for text that has since been cleared, or after a patient was chosen.
      if (search.hidden || !worthAsking(input.value.trim())) {
        event.detail.shouldSwap = false;
      }
    });
    picker.addEventListener("htmx:afterSwap", refresh);

    input.addEventListener("keydown", function (event) {
      var all = options();
      if (!all.length) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        setActive(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        setActive(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        // Never book from an open list by accident: Enter chooses, the Book button books.
        event.preventDefault();
        if (active >= 0) { pick(all[active]); }
      } else if (event.key === "Escape") {
        event.preventDefault();
        clearResults();
      }
    });

    // A tap or click on a match chooses it (the options are large enough for a finger).
    results.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option && results.contains(option)) { pick(option); }
    });

    // Tabbing on to the next field closes the list. A tap on a match moves focus to nothing
    // focusable (relatedTarget is null), so the list stays for the click that follows.
    picker.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !picker.contains(event.relatedTarget)) { clearResults(); }
    });

    picker.querySelectorAll("[data-picker-nojs]").forEach(function (el) { el.hidden = true; });
    showChosen(Boolean(value.value));
    refresh();
  }

  document.querySelectorAll("[data-patient-picker]").forEach(setup);
})();
