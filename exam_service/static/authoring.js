/* The question editor's live preview (templates/authoring/edit.html).
 *
 * While the author types, the form is sent (debounced) to POST /api/v1/bank/preview,
 * which sanitizes the stem exactly as it will be stored; the question is drawn by the
 * candidate page's own renderer (question_view.js) and styles (exam.css) in a 360 px
 * wide frame.
 */
(function () {
  "use strict";
  var form = document.getElementById("question-form");
  if (!form) return;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var DELAY_MS = 300;
  var timer = null;
  var latest = 0;

  function value(name) {
    var field = form.elements[name];
    return field ? field.value : "";
  }

  function draft() {
    var options = [];
    form.querySelectorAll("[data-option]").forEach(function (row) {
      var inputs = row.querySelectorAll("input");
      var text = inputs[0].value;
      if (!text.trim()) return;
      options.push({
        text: text,
        points: inputs[1].value === "" ? "0" : inputs[1].value,
        keep_last: inputs[2].checked,
      });
    });
    while (options.length < 2) options.push({ text: "", points: "0", keep_last: false });
    var category = parseInt(value("category_id"), 10);
    return {
      category_id: isNaN(category) ? 0 : category,
      difficulty: value("difficulty") || "medium",
      stem: value("stem"),
      options: options.slice(0, 6),
      image: value("image_name") || null,
    };
  }

  function render(preview) {
    QuestionView.render(document.getElementById("preview"), preview, {
      name: "preview-choice",
      number: 1,
    });
    var problems = document.getElementById("preview-problems");
    problems.textContent = "";
    preview.problems.forEach(function (problem) {
      var item = document.createElement("li");
      item.textContent = problem;
      problems.appendChild(item);
    });
  }

  function refresh() {
    var request = ++latest;
    fetch(form.getAttribute("data-preview"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": CSRF },
      body: JSON.stringify(draft()),
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (preview) {
        if (preview && request === latest) render(preview);
      })
      .catch(function () {
        /* Offline: the preview waits for the next change. */
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, DELAY_MS);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  refresh();
})();
