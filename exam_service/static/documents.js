/* The candidate's documents page (templates/accounts/documents.html), on a phone.
 *
 * Progressive enhancement of the plain upload forms, which keep working without it:
 * - a picture is decoded in the browser (turned upright by its EXIF orientation),
 *   shrunk to at most MAX_SIDE pixels on its longest side and re-encoded as JPEG,
 *   so that a 4-8 MB photo straight from the camera arrives under the server's
 *   limit; a small JPEG or PNG is sent as it is. If even the shrunk photo is too
 *   big, the candidate is told before anything is sent. PDFs are sent unchanged.
 *   A picture this browser cannot decode (HEIC on most Android browsers) is sent
 *   as it is when it fits: the server converts HEIC itself.
 * - the file goes to the API (PUT /api/v1/me/documents/<kind>, multipart `file`,
 *   the CSRF token of the page's meta tag) with XMLHttpRequest, for a progress bar;
 * - afterwards only that document's row (and the summary) is redrawn from a fresh
 *   copy of the page, keeping the row where it was on the screen; errors (the API's
 *   error.message) appear in that row.
 * Plain JavaScript, no build step, nothing external (CSP: 'self'; images: 'self' data:).
 */
(function () {
  "use strict";

  var MAX_SIDE = 2000;
  var QUALITY = 0.85;
  // Tried in order until the JPEG fits: [share of MAX_SIDE, quality].
  var ATTEMPTS = [
    [1, QUALITY],
    [1, 0.7],
    [0.75, 0.7],
    [0.5, 0.6],
  ];
  var MB = 1024 * 1024;

  // Every visible string of this script, in Bahasa Indonesia.
  var T = {
    chooseFirst: "Pilih berkas terlebih dahulu.",
    chosen: "Dipilih: {name} ({size})",
    preparing: "Memperkecil foto...",
    uploading: "Mengunggah... {percent}%",
    processing: "Diunggah, sedang diperiksa server...",
    saved: "{label} tersimpan.",
    complete: "Semua dokumen sudah lengkap.",
    pdfTooBig:
      "PDF ini terlalu besar ({size}; maksimal {max}). PDF tidak dapat diperkecil di " +
      "ponsel: pindai ulang dengan resolusi lebih rendah, atau unggah foto dokumennya.",
    photoTooBig:
      "Foto ini masih terlalu besar setelah diperkecil ({size}; maksimal {max}). " +
      "Ambil foto dengan resolusi kamera lebih rendah, lalu coba lagi.",
    heicTooBig:
      "Foto HEIC ini terlalu besar ({size}; maksimal {max}) dan tidak dapat diperkecil " +
      "di peramban ini. Ubah kamera ke format JPEG (di iPhone: Pengaturan > Kamera > " +
      'Format > "Paling Kompatibel"), lalu ambil foto lagi.',
    fileTooBig:
      "Berkas ini terlalu besar ({size}; maksimal {max}) dan tidak dapat diperkecil di " +
      "ponsel. Pilih berkas yang lebih kecil.",
    tooBig: "Berkas terlalu besar (maksimal {max}).",
    network: "Koneksi terputus saat mengunggah. Periksa sinyal, lalu coba lagi.",
    timeout: "Pengunggahan terlalu lama. Periksa sinyal, lalu coba lagi.",
    loginExpired: "Sesi login Anda berakhir. Muat ulang halaman dan masuk lagi.",
    pageExpired: "Halaman ini kedaluwarsa. Muat ulang halaman, lalu unggah lagi.",
    tooMany: "Terlalu banyak unggahan. Tunggu sebentar, lalu coba lagi.",
    serverBusy: "Server sedang sibuk. Coba lagi sebentar lagi.",
    failed: "Berkas gagal diunggah. Coba lagi.",
    uploaded: "Sudah diunggah",
  };

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var main = document.querySelector("main");
  var summary = document.getElementById("dokumen-kelengkapan");
  var maxBytes = summary ? Number(summary.getAttribute("data-max-bytes")) : 0;
  var pageUrl = summary ? summary.getAttribute("data-page") : "";
  if (!main || !maxBytes || !pageUrl || !window.FormData || !window.fetch) return;
  var busy = {}; // kind -> true while its upload runs
  var chosenFiles = {}; // kind -> the File picked last (gallery or camera input)

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key];
    });
  }

  /* "4,8 MB", "350 KB": sizes as Indonesians write them (decimal comma). */
  function sizeText(bytes) {
    if (bytes < MB) return Math.max(1, Math.ceil(bytes / 1024)) + " KB";
    return (Math.round((bytes / MB) * 10) / 10).toString().replace(".", ",") + " MB";
  }

  function UserError(message) {
    this.message = message;
  }

  function tooBig(template, size) {
    return new UserError(fill(template, { size: sizeText(size), max: sizeText(maxBytes) }));
  }

  function isPdf(file) {
    return file.type === "application/pdf" || /\.pdf$/i.test(file.name || "");
  }

  function isHeic(file) {
    return /^image\/hei[cf]/i.test(file.type) || /\.hei[cf]$/i.test(file.name || "");
  }

  function kindOf(form) {
    return form.closest(".doc-row").id.replace(/^dokumen-/, "");
  }

  // --- shrinking a picture ------------------------------------------------------

  /* A decoded picture, upright: {source, width, height, close}. Rejects when this
   * browser cannot decode the file (HEIC in Chromium, a file that is no picture). */
  function decode(file) {
    if (window.createImageBitmap) {
      var bitmap;
      try {
        bitmap = createImageBitmap(file, { imageOrientation: "from-image" });
      } catch (e) {
        bitmap = Promise.reject(e);
      }
      return bitmap.then(fromBitmap, function () {
        return createImageBitmap(file).then(fromBitmap, function () {
          return decodeWithImage(file);
        });
      });
    }
    return decodeWithImage(file);
  }

  function fromBitmap(bitmap) {
    return {
      source: bitmap,
      width: bitmap.width,
      height: bitmap.height,
      close: function () {
        if (bitmap.close) bitmap.close();
      },
    };
  }

  /* Older browsers: an <img> from a data: URL (the page's CSP allows data: images,
   * not blob:); an <img> follows the EXIF orientation by itself. */
  function decodeWithImage(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onerror = reject;
      reader.onload = function () {
        var image = new Image();
        image.onload = function () {
          resolve({
            source: image,
            width: image.naturalWidth,
            height: image.naturalHeight,
            close: function () {},
          });
        };
        image.onerror = reject;
        image.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
  }

  function jpegOf(picture, side, quality) {
    var scale = Math.min(1, side / Math.max(picture.width, picture.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(picture.width * scale));
    canvas.height = Math.max(1, Math.round(picture.height * scale));
    var context = canvas.getContext("2d");
    context.fillStyle = "#fff"; // transparent parts of a PNG: white, not black
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = "high";
    context.drawImage(picture.source, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve, reject) {
      canvas.toBlob(
        function (blob) {
          canvas.width = canvas.height = 0; // frees the pixels at once on small phones
          if (blob) resolve(blob);
          else reject(new Error("toBlob"));
        },
        "image/jpeg",
        quality
      );
    });
  }

  function shrunk(picture, attempt) {
    var side = MAX_SIDE * ATTEMPTS[attempt][0];
    return jpegOf(picture, side, ATTEMPTS[attempt][1]).then(function (blob) {
      if (blob.size <= maxBytes) return blob;
      if (attempt + 1 < ATTEMPTS.length) return shrunk(picture, attempt + 1);
      throw tooBig(T.photoTooBig, blob.size);
    });
  }

  /* What to send for `file`: {blob, name}, or a rejection with a UserError. */
  function prepare(file, onShrinking) {
    if (isPdf(file)) {
      if (file.size > maxBytes) return Promise.reject(tooBig(T.pdfTooBig, file.size));
      return Promise.resolve({ blob: file, name: file.name || "berkas.pdf" });
    }
    return decode(file).then(
      function (picture) {
        var longest = Math.max(picture.width, picture.height);
        var plain = file.type === "image/jpeg" || file.type === "image/png";
        if (plain && longest <= MAX_SIDE && file.size <= maxBytes) {
          picture.close();
          return { blob: file, name: file.name || "foto.jpg" };
        }
        onShrinking();
        return shrunk(picture, 0).then(
          function (blob) {
            picture.close();
            return { blob: blob, name: "foto.jpg" };
          },
          function (error) {
            picture.close();
            throw error;
          }
        );
      },
      function () {
        // Not decodable here: the server judges (and converts HEIC) what fits.
        if (file.size <= maxBytes) return { blob: file, name: file.name || "berkas" };
        throw tooBig(isHeic(file) ? T.heicTooBig : T.fileTooBig, file.size);
      }
    );
  }

  // --- showing the state of a row -----------------------------------------------

  function parts(form) {
    return {
      chosen: form.querySelector(".doc-chosen"),
      progressBox: form.querySelector(".doc-progress"),
      progress: form.querySelector(".doc-progress progress"),
      progressText: form.querySelector(".doc-progress-text"),
      status: form.querySelector(".doc-status"),
      submit: form.querySelector("button[type=submit]"),
    };
  }

  function showProgress(form, text, percent) {
    var p = parts(form);
    p.progressBox.hidden = false;
    p.progressText.textContent = text;
    if (percent === null) p.progress.removeAttribute("value");
    else p.progress.value = percent;
  }

  function hideProgress(form) {
    parts(form).progressBox.hidden = true;
  }

  function showMessage(status, text, kind) {
    status.textContent = "";
    var message = document.createElement("p");
    message.className = kind === "error" ? "flash flash-error" : "flash flash-success";
    message.setAttribute("tabindex", "-1");
    message.textContent = text;
    status.appendChild(message);
    return message;
  }

  /* Before a new upload: the messages of earlier ones go (they would be stale). */
  function clearMessages(form) {
    var old = main.querySelectorAll(":scope > .flash, .doc-status .flash-success");
    for (var i = 0; i < old.length; i++) old[i].remove();
    var row = form.closest(".doc-row");
    var errors = row.querySelectorAll(".error, .doc-status .flash");
    for (var j = 0; j < errors.length; j++) errors[j].remove();
    var field = row.querySelector(".field.has-error");
    if (field) field.classList.remove("has-error");
  }

  function setBusy(form, on) {
    var kind = kindOf(form);
    busy[kind] = on;
    parts(form).submit.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  // --- sending ---------------------------------------------------------------------

  function errorMessage(xhr) {
    var body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (e) {
      body = null;
    }
    var error = body && body.error;
    if (xhr.status === 401) return T.loginExpired;
    if (xhr.status === 400 && error && error.code === "csrf_failed") return T.pageExpired;
    if (error && error.message) return error.message;
    if (xhr.status === 413) return fill(T.tooBig, { max: sizeText(maxBytes) });
    if (xhr.status === 429) return T.tooMany;
    if (xhr.status >= 500) return T.serverBusy;
    return T.failed;
  }

  function send(form, prepared) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      data.append("file", prepared.blob, prepared.name);
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", form.getAttribute("data-api"));
      xhr.setRequestHeader("X-CSRFToken", CSRF);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.timeout = 5 * 60 * 1000;
      xhr.upload.onprogress = function (event) {
        if (!event.lengthComputable) return;
        var percent = Math.min(100, Math.floor((event.loaded / event.total) * 100));
        showProgress(form, fill(T.uploading, { percent: percent }), percent);
      };
      xhr.upload.onload = function () {
        showProgress(form, T.processing, 100);
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(new UserError(errorMessage(xhr)));
      };
      xhr.onerror = function () {
        reject(new UserError(T.network));
      };
      xhr.ontimeout = function () {
        reject(new UserError(T.timeout));
      };
      showProgress(form, fill(T.uploading, { percent: 0 }), 0);
      xhr.send(data);
    });
  }

  // --- redrawing the row in place --------------------------------------------------

  /* Redraw the row of `kind`, the summary and the next-step bar from a fresh copy of
   * the page; the row keeps its place on the screen. Resolves to the new row. */
  function redraw(kind) {
    var row = document.getElementById("dokumen-" + kind);
    return fetch(pageUrl, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("page " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var top = row.getBoundingClientRect().top;
        var newRow = fresh.getElementById("dokumen-" + kind);
        replace(summary, fresh.getElementById("dokumen-kelengkapan"));
        var bar = document.getElementById("dokumen-lanjut");
        var newBar = fresh.getElementById("dokumen-lanjut");
        if (bar && newBar) replace(bar, newBar);
        else if (bar) bar.remove();
        else if (newBar) main.appendChild(document.adoptNode(newBar));
        if (!newRow) return row;
        newRow = document.adoptNode(newRow);
        row.replaceWith(newRow);
        enhance(newRow);
        window.scrollBy(0, newRow.getBoundingClientRect().top - top);
        return newRow;
      })
      .catch(function () {
        // The upload itself succeeded: mark the row at least.
        var badge = row.querySelector("h2 .badge");
        if (badge) {
          badge.className = "badge badge-ok";
          badge.textContent = T.uploaded;
        }
        return row;
      });
  }

  function replace(old, fresh) {
    if (!fresh) return;
    var node = document.adoptNode(fresh);
    old.replaceWith(node);
    if (old === summary) summary = node;
  }

  function upload(form) {
    var kind = kindOf(form);
    if (busy[kind]) return;
    clearMessages(form);
    var label = form.getAttribute("data-label");
    var file = chosenFiles[kind] || pickedIn(form);
    if (!file) {
      showMessage(parts(form).status, T.chooseFirst, "error");
      return;
    }
    setBusy(form, true);
    prepare(file, function () {
      showProgress(form, T.preparing, null);
    })
      .then(function (prepared) {
        return send(form, prepared);
      })
      .then(function () {
        delete chosenFiles[kind];
        return redraw(kind);
      })
      .then(function (row) {
        var text = fill(T.saved, { label: label });
        if (document.getElementById("dokumen-lanjut")) text += " " + T.complete;
        var message = showMessage(row.querySelector(".doc-status"), text, "success");
        message.focus({ preventScroll: true });
      })
      .catch(function (error) {
        hideProgress(form);
        setBusy(form, false);
        var text = error instanceof UserError ? error.message : T.failed;
        showMessage(parts(form).status, text, "error").focus({ preventScroll: true });
      });
  }

  // --- wiring ------------------------------------------------------------------------

  /* A file left in an input without a change event (restored by the browser). */
  function pickedIn(form) {
    var inputs = form.querySelectorAll("input[type=file]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].files && inputs[i].files[0]) return inputs[i].files[0];
    }
    return null;
  }

  function choose(form, file) {
    var kind = kindOf(form);
    chosenFiles[kind] = file || null;
    var chosen = parts(form).chosen;
    chosen.hidden = !file;
    chosen.textContent = file ? fill(T.chosen, { name: file.name, size: sizeText(file.size) }) : "";
  }

  function enhance(root) {
    var forms = root.querySelectorAll("form.doc-upload");
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      form.noValidate = true; // a photo from the camera button leaves the file input empty
      form.classList.add("doc-enhanced"); // the label becomes the "choose" button
      var shown = form.querySelectorAll("[data-js-only]");
      for (var j = 0; j < shown.length; j++) shown[j].hidden = false;
    }
  }

  main.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("doc-upload")) return;
    event.preventDefault();
    upload(form);
  });

  main.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file") return;
    var form = input.closest("form.doc-upload");
    if (!form) return;
    var file = input.files && input.files[0];
    // The gallery and the camera input share one choice: the last one counts.
    var other = input.classList.contains("doc-camera")
      ? form.querySelector("input[name=file]")
      : form.querySelector(".doc-camera");
    if (file && other) other.value = "";
    choose(form, file);
  });

  main.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".doc-camera-button");
    if (!button) return;
    button.closest("form").querySelector(".doc-camera").click();
  });

  var pageShown = document.querySelectorAll("main > [data-js-only]");
  for (var k = 0; k < pageShown.length; k++) pageShown[k].hidden = false;
  enhance(main);
})();
