// Progressive enhancement only: every action here also works as a plain link or form.
(function () {
  "use strict";
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || ev.target.isContentEditable) return;
    var link = document.querySelector('[data-key="' + ev.key + '"]');
    if (link && link.href) { ev.preventDefault(); window.location.href = link.href; }
  });

  var move = document.getElementById("move");
  if (!move) return;
  var dragged = null;
  document.querySelectorAll(".chip[draggable=true]").forEach(function (chip) {
    chip.addEventListener("dragstart", function (ev) {
      dragged = chip.getAttribute("data-post");
      ev.dataTransfer.setData("text/plain", dragged);
      ev.dataTransfer.effectAllowed = "move";
    });
  });
  // A queued post dropped on another post of its queue swaps their times (week view).
  document.querySelectorAll("[data-queued]").forEach(function (target) {
    target.addEventListener("dragover", function (ev) {
      if (dragged && dragged !== target.getAttribute("data-queued")) {
        ev.preventDefault();
        ev.stopPropagation();
        target.classList.add("drop");
      }
    });
    target.addEventListener("dragleave", function () { target.classList.remove("drop"); });
    target.addEventListener("drop", function (ev) {
      var other = target.getAttribute("data-queued");
      var id = ev.dataTransfer.getData("text/plain") || dragged;
      if (!id || id === other) return;
      ev.preventDefault();
      ev.stopPropagation();
      target.classList.remove("drop");
      move.action = "/posts/" + encodeURIComponent(id) + "/swap";
      move.elements["with"].value = other;
      move.submit();
    });
  });
  document.querySelectorAll(".day[data-date]").forEach(function (cell) {
    cell.addEventListener("dragover", function (ev) {
      if (dragged) { ev.preventDefault(); cell.classList.add("drop"); }
    });
    cell.addEventListener("dragleave", function () { cell.classList.remove("drop"); });
    cell.addEventListener("drop", function (ev) {
      ev.preventDefault();
      cell.classList.remove("drop");
      var id = ev.dataTransfer.getData("text/plain") || dragged;
      if (!id) return;
      move.action = "/posts/" + encodeURIComponent(id) + "/reschedule";
      move.elements.date.value = cell.getAttribute("data-date");
      move.submit();
    });
  });
})();
