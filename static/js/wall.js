// The wall's per-viewer marks. The board is rendered once for everyone (live updates), so it
// cannot say which notes are yours or which reactions you gave; #wall-me carries that for this
// viewer, and this module copies it onto the board, and onto each note that arrives live, after
// every change. No state of its own: the server sends #wall-me with the page and with the answer
// to each of your actions.
(function () {
  "use strict";
  var wall = document.getElementById("wall");
  if (!wall) return;

  function words(value) { return (value || "").split(" ").filter(Boolean); }

  function setAttr(el, name, value) { if (el.getAttribute(name) !== value) el.setAttribute(name, value); }

  function apply() {
    var state = document.querySelector("#wall-me .me-state");
    if (!state) return;
    var mine = words(state.getAttribute("data-mine"));
    var reacted = words(state.getAttribute("data-reacted"));
    var dots = {};
    words(state.getAttribute("data-dots")).forEach(function (pair) {
      var parts = pair.split(":"); dots[parts[0]] = parts[1];
    });
    var now = Date.now() / 1000;
    wall.querySelectorAll("[data-note]").forEach(function (note) {
      var own = mine.indexOf(note.getAttribute("data-note")) >= 0;
      var open = own && now < Number(note.getAttribute("data-editable-until") || 0);
      if (note.classList.contains("is-mine") !== own) note.classList.toggle("is-mine", own);
      if (note.classList.contains("is-editable") !== open) note.classList.toggle("is-editable", open);
    });
    wall.querySelectorAll("button[data-reaction]").forEach(function (button) {
      setAttr(button, "aria-pressed", reacted.indexOf(button.getAttribute("data-reaction")) >= 0 ? "true" : "false");
    });
    wall.querySelectorAll(".my-dots[data-note]").forEach(function (span) {
      var n = dots[span.getAttribute("data-note")];
      var text = n ? "(" + n + ")" : "";
      if (span.textContent !== text) span.textContent = text;
    });
  }

  var pending = false;
  function soon() {
    if (pending) return;
    pending = true;
    setTimeout(function () { pending = false; apply(); }, 0);
  }
  // Live updates come as the whole board (morphed into #wall-live) or as one note (<hx-partial>s
  // aimed at #note-<id> or a section's list): either way mark again once htmx has swapped. The
  // observer below catches the same changes; the event makes it explicit for partial swaps.
  document.addEventListener("htmx:after:swap", function (event) {
    if (wall.contains(event.target)) soon();
  });
  new MutationObserver(soon).observe(wall, {
    childList: true, subtree: true, characterData: true, attributes: true,
    attributeFilter: ["aria-pressed", "class", "data-mine", "data-reacted", "data-dots"]
  });
  apply();
  setInterval(apply, 15000);  // own notes stop being editable after ten minutes
})();
