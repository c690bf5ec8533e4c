// The compose form's enhancements: version tabs for the ticked networks, the date field off
// while "Next free slot" is chosen, and each network's count as one types. The counting is the
// server's (POST /compose/count): X weighs URLs and emoji, Bluesky counts graphemes. Without
// this file the form shows every version box and counts with its preview.
(function () {
  "use strict";
  var form = document.querySelector("form.compose-form");
  if (!form) return;
  var tablist = form.querySelector("[role=tablist]");
  var tabs = Array.prototype.slice.call(form.querySelectorAll("[role=tab]"));
  var panels = form.querySelectorAll("[role=tabpanel]");
  var boxes = form.querySelectorAll("input[name=account]");
  var when = form.querySelector("#when");
  var counts = form.querySelector("#counts");
  var csrf = form.querySelector("input[name=csrf]").value;
  var pending = null;
  var asked = 0;

  function picked() {
    var nets = {};
    var ids = [];
    boxes.forEach(function (box) {
      if (box.checked) { nets[box.getAttribute("data-platform")] = true; ids.push(box.value); }
    });
    return { nets: nets, ids: ids };
  }

  function select(name, focus) {
    tabs.forEach(function (tab) {
      var on = tab.getAttribute("data-tab") === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    });
    panels.forEach(function (panel) { panel.hidden = panel.getAttribute("data-panel") !== name; });
  }

  function current() {
    var on = tabs.filter(function (t) { return t.getAttribute("aria-selected") === "true"; })[0];
    return on ? on.getAttribute("data-tab") : "main";
  }

  function syncTabs() {
    var nets = picked().nets;
    tabs.forEach(function (tab) {
      var net = tab.getAttribute("data-platform");
      if (net) tab.hidden = !nets[net];
    });
    var open = form.querySelector('[role=tab][data-tab="' + current() + '"]');
    if (!open || open.hidden) select("main", false);
  }

  function shown() { return tabs.filter(function (t) { return !t.hidden; }); }

  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () { select(tab.getAttribute("data-tab"), false); });
    tab.addEventListener("keydown", function (ev) {
      var list = shown();
      var at = list.indexOf(tab);
      var next = null;
      if (ev.key === "ArrowRight") next = list[(at + 1) % list.length];
      else if (ev.key === "ArrowLeft") next = list[(at - 1 + list.length) % list.length];
      else if (ev.key === "Home") next = list[0];
      else if (ev.key === "End") next = list[list.length - 1];
      if (next) { ev.preventDefault(); select(next.getAttribute("data-tab"), true); }
    });
  });

  function render(list) {
    var byNet = {};
    counts.textContent = "";
    list.forEach(function (c) {
      byNet[c.platform] = c;
      var li = document.createElement("li");
      li.setAttribute("data-platform", c.platform);
      if (c.over) li.className = "over";
      li.textContent = c.label + ": " + c.length + "/" + c.limit +
        (c.own_version ? " (its own version)" : "") + (c.over ? " (too long)" : "");
      counts.appendChild(li);
    });
    form.querySelectorAll("[data-count]").forEach(function (span) {
      var c = byNet[span.getAttribute("data-count")];
      span.textContent = c ? c.length + "/" + c.limit : "";
      span.classList.toggle("over", !!(c && c.over));
    });
  }

  function count() {
    var chosen = picked();
    var variants = {};
    form.querySelectorAll("textarea[name^='variant-']").forEach(function (box) {
      variants[box.name.slice("variant-".length)] = box.value;
    });
    var ticket = ++asked;
    fetch(form.getAttribute("data-count-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({
        ws: form.getAttribute("data-ws"),
        text: form.querySelector("#text").value,
        accounts: chosen.ids,
        variants: variants
      })
    }).then(function (resp) {
      return resp.ok ? resp.json() : null;
    }).then(function (body) {
      if (body && ticket === asked) render(body.counts);  // an older answer is stale
    }).catch(function () { /* offline: the preview still counts */ });
  }

  function later() {
    if (pending) clearTimeout(pending);
    pending = setTimeout(count, 250);
  }

  function syncTiming() {
    var slot = form.querySelector("input[name=timing][value=slot]");
    if (when && slot) when.disabled = slot.checked;
  }

  form.querySelectorAll("input[name=timing]").forEach(function (r) {
    r.addEventListener("change", syncTiming);
  });
  boxes.forEach(function (box) {
    box.addEventListener("change", function () { syncTabs(); later(); });
  });
  form.querySelectorAll("#text, textarea[name^='variant-']").forEach(function (box) {
    box.addEventListener("input", later);
  });

  tablist.hidden = false;
  form.classList.add("tabbed");
  var first = form.querySelector(".versions").getAttribute("data-open") || "main";
  select(first, false);
  syncTabs();
  syncTiming();
  if (picked().ids.length) count();
})();
