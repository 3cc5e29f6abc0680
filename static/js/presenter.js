// Presenter keys: → / ← move between items, R shows/hides results, L locks answering, Q shows the
// join QR code full screen. The keys only press the visible buttons; the server does the rest.
(function () {
  "use strict";
  var overlay = document.getElementById("qr-overlay");
  function toggleQr(show) {
    overlay.hidden = show === undefined ? !overlay.hidden : !show;
    if (!overlay.hidden) document.getElementById("qr-close").focus();
  }
  document.getElementById("ctl-qr").addEventListener("click", function () { toggleQr(); });
  document.getElementById("qr-close").addEventListener("click", function () {
    toggleQr(false); document.getElementById("ctl-qr").focus();
  });
  var keys = { ArrowRight: "ctl-next", ArrowLeft: "ctl-prev", PageDown: "ctl-next", PageUp: "ctl-prev",
               r: "ctl-results", R: "ctl-results", l: "ctl-lock", L: "ctl-lock" };
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key === "q" || event.key === "Q") { toggleQr(); event.preventDefault(); return; }
    if (event.key === "Escape" && !overlay.hidden) { toggleQr(false); return; }
    var id = keys[event.key];
    if (id) { document.getElementById(id).click(); event.preventDefault(); }
  });
})();
