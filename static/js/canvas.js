// The canvas: move items by dragging (Pointer Events: mouse, touch, pen), with the arrow keys, or by
// clicking an item and then the place it goes. Each move is one htmx request; the answer (and the
// live stream, for everyone else) swaps in the item or the cells as the server drew them, so this
// module keeps no state of its own beyond the gesture in progress. Positions are SVG attributes
// (transform), never style, which our CSP forbids. Also: the heat-map toggle, PNG export and print.
(function () {
  "use strict";
  var page = document.getElementById("canvas-page");
  if (!page) return;
  var canMove = page.hasAttribute("data-can-move");
  var moveUrl = page.getAttribute("data-move-url");
  var status = document.getElementById("canvas-status");
  var STEP = 0.02, BIG_STEP = 0.1, DRAG_START = 5;
  var selected = null;    // the item chosen by a click, waiting for the click on its place
  var drag = null;        // the drag in progress
  var justDragged = false;
  var focusAfter = null;  // an item to focus once it arrives on the canvas (placed from the tray)
  var pending = {};       // item -> where its last unanswered keyboard move sent it

  function svg() { return document.getElementById("canvas-svg"); }
  function itemOnCanvas(key) { return document.getElementById("it-" + key); }
  function isGrid() { return page.getAttribute("data-mode") === "grid"; }
  function clamp(v) { return Math.min(1, Math.max(0, v)); }
  function round(v) { return Math.round(v * 10000) / 10000; }

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers:inherited"))["X-CSRFToken"]; }
    catch (e) { return ""; }
  }

  function say(text) {
    var p = document.createElement("p");
    p.className = "canvas-message";
    p.textContent = text;
    status.replaceChildren(p);
  }

  function nameOf(el) { return el.getAttribute("aria-label") || el.textContent.trim(); }

  function send(key, values) {
    values.item = key;
    if (values.x !== undefined) values.x = String(round(values.x));
    if (values.y !== undefined) values.y = String(round(values.y));
    return htmx.ajax("POST", moveUrl, {source: page, target: "#canvas-status", swap: "innerHTML",
                                       values: values, headers: {"X-CSRFToken": csrf()}});
  }

  // --- where a pointer is, in the canvas's terms ---------------------------------------------
  function svgPoint(evt) {
    var s = svg(), pt = s.createSVGPoint();
    pt.x = evt.clientX; pt.y = evt.clientY;
    return pt.matrixTransform(s.getScreenCTM().inverse());
  }
  function relative(p) {
    var box = svg().viewBox.baseVal;
    return {x: clamp(p.x / box.width), y: clamp(p.y / box.height)};
  }
  function overCanvas(evt) {
    var r = svg().getBoundingClientRect();
    return evt.clientX >= r.left && evt.clientX <= r.right && evt.clientY >= r.top && evt.clientY <= r.bottom;
  }
  function overTray(evt) {
    var el = document.elementFromPoint(evt.clientX, evt.clientY);
    return !!(el && el.closest("#tray"));
  }

  // --- selection (click, then click the place) -----------------------------------------------
  function mark() {
    page.querySelectorAll(".is-selected").forEach(function (el) { el.classList.remove("is-selected"); });
    page.querySelectorAll(".tray-item[aria-pressed='true']").forEach(function (el) { el.setAttribute("aria-pressed", "false"); });
    if (!selected) return;
    var onCanvas = itemOnCanvas(selected), inTray = document.getElementById("tray-" + selected);
    if (onCanvas) onCanvas.classList.add("is-selected");
    if (inTray) inTray.setAttribute("aria-pressed", "true");
  }
  function select(key, el) {
    if (selected === key) { selected = null; mark(); say(page.dataset.msgNone); return; }
    selected = key;
    mark();
    var menu = document.getElementById("move-item");
    if (menu) menu.value = key;
    say(page.dataset.msgSelect.replace("{name}", nameOf(el)));
  }
  function unselect() { if (selected) { selected = null; mark(); say(page.dataset.msgNone); } }

  // --- dragging ------------------------------------------------------------------------------
  page.addEventListener("pointerdown", function (evt) {
    if (!canMove || evt.button > 0) return;
    var el = evt.target.closest("[data-item]");
    if (!el || !page.contains(el)) return;
    drag = {key: el.getAttribute("data-item"), el: el, fromTray: el.classList.contains("tray-item"),
            x: evt.clientX, y: evt.clientY, moved: false, transform: el.getAttribute("transform"),
            pointer: evt.pointerId};
    try { el.setPointerCapture(evt.pointerId); } catch (e) { /* the element went away */ }
  });

  function ghost() {
    var g = document.getElementById("drop-ghost");
    if (!g) {
      g = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      g.id = "drop-ghost";
      g.setAttribute("width", "120"); g.setAttribute("height", "30");
      g.setAttribute("rx", "6"); g.setAttribute("fill", "none");
      g.setAttribute("stroke", "#c2410c"); g.setAttribute("stroke-width", "3"); g.setAttribute("stroke-dasharray", "6 4");
      svg().appendChild(g);
    }
    return g;
  }
  function dropGhost() { var g = document.getElementById("drop-ghost"); if (g) g.remove(); }

  page.addEventListener("pointermove", function (evt) {
    if (!drag || evt.pointerId !== drag.pointer) return;
    if (!drag.moved) {
      if (Math.hypot(evt.clientX - drag.x, evt.clientY - drag.y) < DRAG_START) return;
      drag.moved = true;
      page.classList.add("is-dragging");
      drag.el.classList.add("is-dragged");
    }
    evt.preventDefault();
    if (!drag.fromTray && !drag.el.isConnected) drag.el = itemOnCanvas(drag.key) || drag.el;
    var p = svgPoint(evt);
    if (drag.fromTray) {
      var g = ghost();
      g.setAttribute("x", String(Math.round(p.x - 60))); g.setAttribute("y", String(Math.round(p.y - 15)));
      g.setAttribute("display", overCanvas(evt) ? "inline" : "none");
    } else {
      drag.el.setAttribute("transform", "translate(" + p.x.toFixed(1) + " " + p.y.toFixed(1) + ")");
    }
  });

  function endDrag(evt, cancelled) {
    if (!drag || evt.pointerId !== drag.pointer) return;
    var d = drag;
    drag = null;
    page.classList.remove("is-dragging");
    d.el.classList.remove("is-dragged");
    dropGhost();
    if (!d.moved) return;
    justDragged = true;
    setTimeout(function () { justDragged = false; }, 0);
    if (!cancelled && overTray(evt) && !d.fromTray) {
      send(d.key, {target: "tray"});
    } else if (!cancelled && overCanvas(evt)) {
      var r = relative(svgPoint(evt));
      if (d.fromTray) focusAfter = d.key;
      send(d.key, {target: "point", x: r.x, y: r.y});
    } else {
      putBack(d);
    }
  }
  function putBack(d) {
    if (d.fromTray) return;
    if (d.transform) d.el.setAttribute("transform", d.transform);
    if (d.stale) htmx.ajax("GET", page.getAttribute("data-region-url"), {target: "#canvas-live", swap: "innerHTML"});
  }
  page.addEventListener("pointerup", function (evt) { endDrag(evt, false); });
  page.addEventListener("pointercancel", function (evt) { endDrag(evt, true); });

  // --- clicking ------------------------------------------------------------------------------
  page.addEventListener("click", function (evt) {
    if (!canMove || justDragged) return;
    var el = evt.target.closest("[data-item]");
    if (el && page.contains(el)) { select(el.getAttribute("data-item"), el); return; }
    if (!selected) return;
    var s = svg();
    if (s && s.contains(evt.target)) {
      var key = selected, r = relative(svgPoint(evt));
      if (!itemOnCanvas(key) || itemOnCanvas(key).getAttribute("display") === "none") focusAfter = key;
      selected = null; mark();
      send(key, {target: "point", x: r.x, y: r.y});
    } else if (evt.target.closest("#tray")) {
      var back = selected;
      selected = null; mark();
      send(back, {target: "tray"});
    }
  });

  // --- keyboard ------------------------------------------------------------------------------
  var ARROWS = {ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0]};

  function cellExists(row, col) { return !!document.getElementById("cell-" + row + "-" + col); }
  function lastCol(row) { var c = 0; while (cellExists(row, c + 1)) c++; return c; }

  function nudge(el, key, dx, dy, big) {
    var at = pending[key] && pending[key].at, values;
    if (isGrid()) {
      var row = at ? at.row : Number(el.getAttribute("data-row")), col = at ? at.col : Number(el.getAttribute("data-col"));
      var nr = row + dy, nc = col + dx;
      if (!cellExists(nr, 0)) return;
      if (dy) nc = Math.min(nc, lastCol(nr));
      if (!cellExists(nr, nc)) return;
      at = {row: nr, col: nc};
      values = {target: "cell:" + nr + ":" + nc};
    } else {
      var step = big ? BIG_STEP : STEP;
      var x = at ? at.x : Number(el.getAttribute("data-x")), y = at ? at.y : Number(el.getAttribute("data-y"));
      at = {x: clamp(x + dx * step), y: clamp(y + dy * step)};
      values = {target: "point", x: at.x, y: at.y};
    }
    var n = (pending[key] ? pending[key].n : 0) + 1;
    pending[key] = {at: at, n: n};
    send(key, values).finally(function () { if (pending[key] && pending[key].n === n) delete pending[key]; });
  }

  page.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape") { unselect(); return; }
    if (!canMove) return;
    var el = evt.target.closest && evt.target.closest("[data-item]");
    if (!el || !page.contains(el)) return;
    var key = el.getAttribute("data-item");
    if ((evt.key === "Enter" || evt.key === " ") && !el.classList.contains("tray-item")) {
      evt.preventDefault();
      select(key, el);
      return;
    }
    var arrow = ARROWS[evt.key];
    if (!arrow) return;
    evt.preventDefault();
    if (el.classList.contains("tray-item")) {
      focusAfter = key;
      send(key, isGrid() ? {target: "cell:0:0"} : {target: "point", x: 0.5, y: 0.5});
      return;
    }
    nudge(el, key, arrow[0], arrow[1], evt.shiftKey);
  });

  // --- live swaps ----------------------------------------------------------------------------
  // Two renders of one element can arrive out of order (two people moving at once): keep the
  // newer, by the canvas sequence number it was drawn at. Leave the item being dragged alone.
  document.addEventListener("htmx:before:swap", function (evt) {
    var tasks = evt.detail && evt.detail.tasks;
    if (!tasks) return;
    for (var i = tasks.length - 1; i >= 0; i--) {
      var t = tasks[i];
      if (t.type !== "partial" && t.type !== "oob") continue;
      var target = typeof t.target === "string" ? document.querySelector(t.target) : t.target;
      if (!target || !t.fragment) continue;
      var incoming = t.fragment.querySelector("[data-seq]");
      var have = Number(target.getAttribute("data-seq"));
      if (incoming && target.hasAttribute("data-seq") && Number(incoming.getAttribute("data-seq")) < have) {
        tasks.splice(i, 1);
      } else if (drag && drag.moved && !drag.fromTray && (target === drag.el || target.contains(drag.el))) {
        tasks.splice(i, 1);
        drag.stale = true;
      }
    }
  });
  // A swap that replaced the focused item (its cell was redrawn) gives focus back to it.
  var lastFocused = null;
  page.addEventListener("focusin", function (evt) {
    var el = evt.target.closest && evt.target.closest(".item");
    lastFocused = el ? el.getAttribute("data-item") : null;
  });
  document.addEventListener("htmx:after:swap", function () {
    mark();
    var active = document.activeElement;
    if (lastFocused && (!active || active === document.body)) {
      var again = itemOnCanvas(lastFocused);
      if (again) again.focus({preventScroll: true});
    }
    if (focusAfter) {
      var el = itemOnCanvas(focusAfter);
      if (el && el.getAttribute("display") !== "none") { focusAfter = null; el.focus(); }
    }
  });

  // --- heat-map filters on the map --------------------------------------------------------------
  // The gaps panel's filters (organisation, initiative, status) count only the matching items in
  // the table (server) and here on the live map: others fade, and each cell's count and heat
  // colour are those of the matching items. Re-applied after every swap (a move redraws cells).
  // The scale comes from the server (data-heat-steps: the most items of each step), never from here.
  var HEAT = ["heat-0", "heat-1", "heat-2", "heat-3", "heat-4"];
  function heatOf(n, s) {
    var steps = (s.getAttribute("data-heat-steps") || "").split(" ").map(Number);
    for (var i = 0; i < steps.length; i++) if (n <= steps[i]) return i;
    return steps.length;
  }
  function applyFilters() {
    var s = svg(), org = document.getElementById("gap-municipality");
    if (!s || !org) return;
    var initiative = document.getElementById("gap-initiative"), state = document.getElementById("gap-status");
    var chosen = initiative && initiative.selectedOptions[0];
    var wantInitiative = chosen ? chosen.getAttribute("data-initiative-id") || "" : "";
    var wantStatus = state ? state.value : "";
    function matches(el) {
      if (org.value && (" " + el.getAttribute("data-orgs") + " ").indexOf(" " + org.value + " ") < 0) return false;
      if (wantInitiative && el.getAttribute("data-initiative-id") !== wantInitiative) return false;
      return !wantStatus || el.classList.contains("status-" + wantStatus);
    }
    var filtered = !!(org.value || wantInitiative || wantStatus);
    s.querySelectorAll(".cell").forEach(function (cell) {
      var n = 0;
      cell.querySelectorAll(".item").forEach(function (el) {
        var ok = matches(el);
        if (ok) n++;
        el.classList.toggle("is-filtered-out", !ok);
      });
      HEAT.forEach(function (c) { cell.classList.remove(c); });
      cell.classList.add(HEAT[heatOf(n, s)]);
      var count = cell.querySelector(".cell-count");
      if (count) count.textContent = String(n);
    });
    page.classList.toggle("is-filtered", filtered);
  }
  document.addEventListener("change", function (evt) {
    if (evt.target.closest && evt.target.closest(".gap-filters")) applyFilters();
  });
  document.addEventListener("htmx:after:swap", applyFilters);
  applyFilters();

  // --- tools ---------------------------------------------------------------------------------
  var heat = document.getElementById("heat-toggle");
  if (heat) {
    heat.hidden = false;
    heat.addEventListener("click", function () {
      var on = heat.getAttribute("aria-pressed") !== "true";
      heat.setAttribute("aria-pressed", on ? "true" : "false");
      page.classList.toggle("show-heat", on);
    });
  }
  var printButton = document.getElementById("print-canvas");
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }
  // PNG: the server's SVG export drawn onto a <canvas> in the browser (no image library on the server).
  var png = document.getElementById("export-png");
  var svgLink = page.querySelector("a[download]");
  if (png && svgLink) {
    png.hidden = false;
    png.addEventListener("click", function () {
      fetch(svgLink.href, {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (text) {
        var img = new Image();
        img.onload = function () {
          var scale = 2, c = document.createElement("canvas");
          c.width = img.naturalWidth * scale; c.height = img.naturalHeight * scale;
          var ctx = c.getContext("2d");
          ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, c.width, c.height);
          ctx.drawImage(img, 0, 0, c.width, c.height);
          c.toBlob(function (blob) {
            var a = document.createElement("a");
            a.href = URL.createObjectURL(blob);
            a.download = (svgLink.getAttribute("href").split("/").pop().split(".")[0] || "kanvas") + ".png";
            document.body.appendChild(a); a.click(); a.remove();
            setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
          }, "image/png");
        };
        img.src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(text)));
      });
    });
  }
})();
