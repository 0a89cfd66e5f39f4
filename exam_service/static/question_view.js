/* One question as the candidate sees it: the stem, its image and the answer options.
 *
 * The one renderer of a question, shared by the candidate's test page (exam.js) and the
 * author's live preview in the question editor (authoring.js), so that the preview is
 * exactly what a candidate gets. It fills the markup both templates carry:
 *
 *   <article class="exam-question">
 *     <div class="exam-stem"></div>
 *     <img class="exam-image" alt="" hidden>
 *     <fieldset class="exam-options"><legend ...></legend><div></div></fieldset>
 *   </article>
 *
 * API (plain script, no build step; load it before the scripts that use it):
 *   QuestionView.render(container, question, settings)
 *     container: the element holding the markup above;
 *     question: {text, image_url, options: [{key, text}]} as the API sends it (text is
 *       sanitized light markup from the server);
 *     settings: {name: the radio group's name (default "choice"),
 *                number: the question's number, for the image's alt text (default 1)}.
 *   QuestionView.select(container, key)
 *     checks the option whose key is `key` (none for null) and marks its label "checked".
 */
(function () {
  "use strict";

  var IMAGE_ALT = "Gambar soal {n}";

  function parts(container) {
    return {
      stem: container.querySelector(".exam-stem"),
      image: container.querySelector(".exam-image"),
      list: container.querySelector(".exam-options > div"),
    };
  }

  function option(item, name) {
    var label = document.createElement("label");
    label.className = "exam-option";
    var input = document.createElement("input");
    input.type = "radio";
    input.name = name;
    input.value = item.key;
    var key = document.createElement("span");
    key.className = "exam-option-key";
    key.textContent = item.key + ".";
    var text = document.createElement("span");
    text.className = "exam-option-text";
    text.textContent = item.text;
    label.appendChild(input);
    label.appendChild(key);
    label.appendChild(text);
    return label;
  }

  function render(container, question, settings) {
    settings = settings || {};
    var name = settings.name || "choice";
    var number = settings.number || 1;
    var el = parts(container);
    // Stems are sanitized light markup from the server (b, i, table, sub, sup, lists).
    el.stem.innerHTML = question.text;
    if (question.image_url) {
      el.image.src = question.image_url;
      el.image.alt = IMAGE_ALT.replace("{n}", String(number));
    } else {
      el.image.removeAttribute("src");
    }
    el.image.hidden = !question.image_url;
    el.list.textContent = "";
    question.options.forEach(function (item) {
      el.list.appendChild(option(item, name));
    });
  }

  function select(container, key) {
    var inputs = parts(container).list.querySelectorAll("input");
    Array.prototype.forEach.call(inputs, function (input) {
      input.checked = input.value === key;
      input.parentNode.classList.toggle("checked", input.checked);
    });
  }

  window.QuestionView = { render: render, select: select };
})();
