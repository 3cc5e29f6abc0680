// Tavlan's page script. Kept tiny: htmx does the requests; this only improves focus handling.
// No inline script or eval anywhere (our CSP forbids both).
(function () {
  "use strict";
  // After a form comes back with errors, move focus to the error summary so that keyboard and
  // screen-reader users hear what to fix.
  function focusErrors(root) {
    var summary = (root || document).querySelector("#form-errors");
    if (summary) summary.focus();
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.addEventListener("htmx:after:swap", function (event) { focusErrors(event.target); });
})();
