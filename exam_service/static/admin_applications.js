// The application list: the count of ticked rows, "tick all on this page", and
// ticking a row chooses "only the ticked ones" for the bulk decision.
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  if (!form) return;
  var boxes = form.querySelectorAll('input[name="application_ids"]');
  var all = form.querySelector("[data-check-all]");
  var count = form.querySelector("[data-selected-count]");
  var scopeSelected = form.querySelector('input[name="scope"][value="selected"]');
  var scopeAll = form.querySelector('input[name="scope"][value="all"]');

  function update() {
    var n = 0;
    boxes.forEach(function (box) { if (box.checked) n += 1; });
    count.textContent = n.toLocaleString("id-ID");
    if (n > 0) scopeSelected.checked = true;
    else scopeAll.checked = true;
    if (all) all.checked = n > 0 && n === boxes.length;
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  if (all) {
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  update();
})();
