// KAP Clinic site script. No inline scripts anywhere (Content-Security-Policy): behaviour hangs
// off data- attributes.
(function () {
  "use strict";

  // CSRF token for htmx requests, read from the cookie-less form token on the page.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.value; }
  });

  // Idle logout: warn a minute before the server-side idle limit, then sign out.
  var body = document.body;
  var timeout = parseInt(body.dataset.idleTimeout || "0", 10);
  if (!timeout) { return; }
  var warnAt = Math.max(timeout - 60, 1) * 1000;
  var modalEl = document.getElementById("idle-warning");
  var modal = modalEl && window.bootstrap ? new bootstrap.Modal(modalEl) : null;
  var countdownEl = modalEl ? modalEl.querySelector("[data-idle-countdown]") : null;
  var warnTimer, logoutTimer, tick;

  function csrf() {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    return token ? token.value : "";
  }

  function signOut() {
    var form = document.createElement("form");
    form.method = "post";
    form.action = body.dataset.logoutUrl;
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "csrfmiddlewaretoken"; input.value = csrf();
    form.appendChild(input);
    document.body.appendChild(form);
    form.submit();
  }

  function showWarning() {
    var remaining = Math.round((timeout * 1000 - warnAt) / 1000);
    if (countdownEl) { countdownEl.textContent = remaining; }
    if (modal) { modal.show(); }
    tick = setInterval(function () {
      remaining -= 1;
      if (countdownEl && remaining >= 0) { countdownEl.textContent = remaining; }
    }, 1000);
    logoutTimer = setTimeout(signOut, timeout * 1000 - warnAt);
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
