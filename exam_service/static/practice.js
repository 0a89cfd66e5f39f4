/* The practice test's result (templates/practice/test.html), below the test page's end screen.
 *
 * exam.js runs the test itself on the practice API (data-api-base); this script only
 * 1. puts the practice note on the start screen,
 * 2. once the end screen shows, asks the practice API for the finished attempt and
 *    shows its score, the score per category and every question with its key and the
 *    author's explanation, and
 * 3. starts a new practice test ("Ulangi latihan").
 * Plain JavaScript, no build step, no inline handlers (CSP: 'self').
 */
(function () {
  "use strict";

  var T = {
    answered: "{count} dari {total} soal dijawab.",
    question: "Soal {n}",
    right: "Benar",
    wrong: "Salah",
    partial: "Poin {points} dari {max}",
    unanswered: "Tidak dijawab",
    key: "Kunci",
    yours: "Jawaban Anda",
    explanation: "Pembahasan",
    imageAlt: "Gambar soal {n}",
    restartFailed: "Latihan baru tidak dapat dimulai. Periksa koneksi, lalu coba lagi.",
  };
  var POLLS_MS = [0, 1500, 2000, 3000, 3000, 5000, 5000, 10000];

  var root = document.getElementById("practice");
  var exam = document.getElementById("exam");
  if (!root || !exam) return;
  var API = root.getAttribute("data-api-base");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var shown = false;
  var polling = false;

  function $(id) {
    return document.getElementById(id);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) {
      return String(values[name]);
    });
  }

  /* "37.5" (the API's decimal) as Indonesians read it: "37,5". */
  function number(text) {
    return String(text).replace(".", ",");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- the start screen ---------------------------------------------------------------

  var intro = $("exam-intro");
  var note = $("practice-intro");
  if (intro && note) {
    var title = $("exam-intro-title") || intro.querySelector("h1");
    intro.insertBefore(note, title ? title.nextSibling : intro.firstChild);
    note.hidden = false;
  }

  // --- the result ------------------------------------------------------------------------

  function renderResult(data) {
    var result = data.result;
    $("practice-score").textContent = number(result.score);
    $("practice-max").textContent = number(result.max_score);
    $("practice-answered").textContent = fill(T.answered, {
      count: result.answered,
      total: result.items.length,
    });
    var categories = $("practice-categories");
    categories.textContent = "";
    result.categories.forEach(function (c) {
      var row = el("tr");
      row.appendChild(el("td", "", c.name));
      row.appendChild(el("td", "num", number(c.score) + " / " + number(c.max_score)));
      categories.appendChild(row);
    });
    var list = $("practice-review");
    list.textContent = "";
    result.items.forEach(function (item) {
      list.appendChild(reviewItem(item));
    });
    $("practice-result").hidden = false;
  }

  function verdict(item) {
    if (!item.chosen) return { kind: "empty", text: T.unanswered };
    if (item.points === item.max_points) return { kind: "right", text: T.right };
    if (Number(item.points) > 0) {
      var text = fill(T.partial, { points: number(item.points), max: number(item.max_points) });
      return { kind: "partial", text: text };
    }
    return { kind: "wrong", text: T.wrong };
  }

  function reviewItem(item) {
    var v = verdict(item);
    var li = el("li", "practice-item " + v.kind);
    li.setAttribute("data-position", String(item.position));
    var head = el("p", "practice-item-head");
    head.appendChild(el("strong", "", fill(T.question, { n: item.position })));
    head.appendChild(el("span", "practice-verdict " + v.kind, v.text));
    li.appendChild(head);
    var stem = el("div", "exam-stem");
    // Stems and explanations are sanitized light markup from the server.
    stem.innerHTML = item.text;
    li.appendChild(stem);
    if (item.image_url) {
      var image = el("img", "exam-image");
      image.src = item.image_url;
      image.alt = fill(T.imageAlt, { n: item.position });
      li.appendChild(image);
    }
    var options = el("ul", "practice-options");
    item.options.forEach(function (option) {
      var row = el("li", "practice-option");
      if (option.correct) row.classList.add("is-key");
      if (option.key === item.chosen) row.classList.add("is-chosen");
      row.appendChild(el("span", "exam-option-key", option.key + "."));
      row.appendChild(el("span", "practice-option-text", option.text));
      var tags = el("span", "practice-tags");
      if (option.correct) tags.appendChild(el("span", "badge badge-ok", T.key));
      if (option.key === item.chosen) {
        tags.appendChild(el("span", option.correct ? "badge badge-ok" : "badge badge-err", T.yours));
      }
      if (tags.childNodes.length) row.appendChild(tags);
      options.appendChild(row);
    });
    li.appendChild(options);
    if (item.explanation) {
      var box = el("div", "practice-explanation");
      box.appendChild(el("strong", "", T.explanation));
      var body = el("div");
      body.innerHTML = item.explanation;
      box.appendChild(body);
      li.appendChild(box);
    }
    return li;
  }

  function get() {
    return fetch(API, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      return response.ok ? response.json() : null;
    });
  }

  /* The end screen is up: the server may still be closing the attempt, so ask a few times. */
  function loadResult(round) {
    if (shown || round >= POLLS_MS.length) {
      polling = false;
      return;
    }
    polling = true;
    setTimeout(function () {
      get()
        .then(function (data) {
          if (data && data.status === "finished" && data.result) {
            shown = true;
            polling = false;
            renderResult(data);
            return;
          }
          loadResult(round + 1);
        })
        .catch(function () {
          loadResult(round + 1);
        });
    }, POLLS_MS[round]);
  }

  var end = $("exam-end");
  function watchEnd() {
    if (end && !end.hidden && !shown && !polling) loadResult(0);
  }
  if (end) {
    new MutationObserver(watchEnd).observe(end, { attributes: true, attributeFilter: ["hidden"] });
    watchEnd();
  }

  // --- again ---------------------------------------------------------------------------------

  $("practice-again").addEventListener("click", function () {
    var button = $("practice-again");
    var error = $("practice-again-error");
    button.disabled = true;
    error.hidden = true;
    fetch(API + "/restart", {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": CSRF },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        window.location.reload();
      })
      .catch(function () {
        button.disabled = false;
        error.textContent = T.restartFailed;
        error.hidden = false;
      });
  });
})();
