// KAP Clinic site script. No inline scripts anywhere (Content-Security-Policy): behaviour hangs
// off data- attributes.
(function () {
  "use strict";

  // CSRF token for htmx requests, read from the cookie-less form token on the page.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.value; }
  });

  // A checkbox that reveals an optional part of a form (data-reveals="<id>"), e.g. "Repeat
  // PHQ-9 now" on the integration follow-up.
  document.querySelectorAll("[data-reveals]").forEach(function (box) {
    var target = document.getElementById(box.dataset.reveals);
    if (!target) { return; }
    var sync = function () { target.hidden = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  });

  // Live panels polled by htmx (data-poll-quiet) skip a refresh while someone is typing in them,
  // so nothing typed is lost.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-poll-quiet")) { return; }
    var active = document.activeElement;
    var typing = active && elt.contains(active) && active.matches("input, textarea, select");
    var filled = Array.prototype.some.call(
      elt.querySelectorAll("textarea, input[type=text]"),
      function (field) { return field.value.trim() !== ""; }
    );
    if (typing || filled) { event.preventDefault(); }
  });

  // Idle logout: warn before the server-side idle limit (a minute before, or half-way for limits
  // under two minutes), then reload the page once the limit has passed. The server is the
  // authority: it ends the idle session and shows the sign-in page with the reason, and a session
  // kept alive from another tab simply reloads this one.
  var body = document.body;
  var timeout = parseInt(body.dataset.idleTimeout || "0", 10);
  if (!timeout) { return; }
  var lead = Math.min(60, Math.ceil(timeout / 2));
  var warnAt = (timeout - lead) * 1000;
  // Timers may fire a little early or the server's clock tick a little late: pass the limit.
  var grace = 1000;
  var modalEl = document.getElementById("idle-warning");
  var modal = modalEl && window.bootstrap ? new bootstrap.Modal(modalEl) : null;
  var countdownEl = modalEl ? modalEl.querySelector("[data-idle-countdown]") : null;
  var warnTimer, logoutTimer, tick;

  function csrf() {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    return token ? token.value : "";
  }

  // A GET of the same address (not reload(), which would re-send a POST).
  function signOut() {
    window.location.replace(window.location.href.split("#")[0]);
  }

  function showWarning() {
    var remaining = lead;
    if (countdownEl) { countdownEl.textContent = remaining; }
    if (modal) { modal.show(); }
    tick = setInterval(function () {
      remaining -= 1;
      if (countdownEl && remaining >= 0) { countdownEl.textContent = remaining; }
    }, 1000);
    logoutTimer = setTimeout(signOut, lead * 1000 + grace);
  }

  function arm() {
    clearTimeout(warnTimer); clearTimeout(logoutTimer); clearInterval(tick);
    warnTimer = setTimeout(showWarning, warnAt);
  }

  var stay = modalEl ? modalEl.querySelector("[data-idle-stay]") : null;
  if (stay) {
    stay.addEventListener("click", function () {
      fetch(body.dataset.keepaliveUrl, {
        method: "POST", headers: {"X-CSRFToken": csrf()}, credentials: "same-origin"
      }).then(function (response) {
        if (response.status === 204) { if (modal) { modal.hide(); } arm(); }
        else { window.location.reload(); }
      });
    });
  }
  document.body.addEventListener("htmx:afterRequest", arm);
  arm();
})();

// A "Print" button on printable records (inventories, reports): no inline script under the CSP.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
