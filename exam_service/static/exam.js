/* The candidate's test page (templates/exam/test.html).
 *
 * Built for a cheap phone on a weak connection:
 * - every choice is written to a retry queue in localStorage first (one pending write
 *   per question, the latest), then sent in order; network errors and busy servers are
 *   retried with exponential backoff, and the queue survives a reload or a closed tab;
 * - each write carries a sequence number that only grows (a counter kept per attempt in
 *   localStorage), so the server never lets an older write replace a newer one;
 * - the countdown follows the server: deadline - (server_time + time elapsed since that
 *   response, measured with performance.now()). The device's clock is never read for it.
 * - before the start it shows the booked session and counts down to it with the server's
 *   clock too (GET status: server_time and starts_at); "Mulai ujian" is enabled only when
 *   the server says a start is possible, and the countdown asks again when it reaches zero;
 * - during the test it asks for the deadline every 30 s (data-poll-seconds), and when the
 *   page becomes visible or comes back online: extra time given by an admin shows up
 *   within seconds ("Waktu ditambah N menit");
 * - "Keluar" in the header asks first while a test is under way.
 * Integrity events (tab hidden, offline) are reported for the admin, best effort, after
 * the answers. Plain JavaScript, no build step, no external resources (CSP: 'self').
 *
 * The page root (#exam) carries its settings: data-api-base (the attempt API: start, get,
 * answers/N, submit, events), data-status-api (empty: no before-start screen, e.g. a
 * practice test), data-poll-seconds, data-logout, data-login, and the page's time zone:
 * data-zone-offset (minutes east of UTC) and data-zone-name ("WITA"), in which every
 * time of day is shown.
 */
(function () {
  "use strict";

  // Every visible string of this script, in Bahasa Indonesia.
  var T = {
    saved: "Tersimpan",
    saving: "Menyimpan...",
    offline: "Tidak terhubung — jawaban disimpan di perangkat dan akan dikirim otomatis",
    busy: "Server sibuk — jawaban disimpan di perangkat dan akan dikirim otomatis",
    closing: "Waktu habis — mengirim jawaban terakhir...",
    loginExpired:
      "Sesi login Anda berakhir. Jawaban yang belum terkirim tetap tersimpan di perangkat " +
      "dan dikirim setelah Anda masuk lagi.",
    pageExpired:
      "Halaman ini kedaluwarsa. Muat ulang halaman; jawaban yang belum terkirim tetap " +
      "tersimpan di perangkat.",
    loginAgain: "Masuk lagi",
    reload: "Muat ulang",
    question: "Soal {n} dari {total}",
    stateSaved: "✓ Jawaban tersimpan",
    stateSaving: "Menyimpan jawaban...",
    statePending: "Belum terkirim — disimpan di perangkat dan dikirim otomatis",
    stateEmpty: "Belum dijawab",
    stateRejected: "Jawaban ini ditolak server. Silakan pilih lagi.",
    cell: "Soal {n}",
    cellAnswered: "sudah dijawab",
    cellUnanswered: "belum dijawab",
    cellFlagged: "ditandai",
    cellPending: "belum terkirim",
    flag: "Tandai untuk ditinjau",
    unflag: "Hapus tanda tinjau",
    warn5: "Sisa waktu kurang dari 5 menit.",
    warn1: "Sisa waktu kurang dari 1 menit. Jawaban yang sudah dipilih tersimpan otomatis.",
    unanswered: "Belum dijawab ({count} soal): nomor {list}.",
    allAnswered: "Semua soal sudah dijawab.",
    flagged: "Ditandai untuk ditinjau: nomor {list}.",
    noFlags: "Tidak ada soal yang ditandai.",
    sendingPending: "Mengirim {count} jawaban yang belum terkirim...",
    pendingBlocked:
      "{count} jawaban belum terkirim. Periksa koneksi, lalu tekan Ya, kumpulkan sekali lagi.",
    submitFailed: "Gagal mengumpulkan. Periksa koneksi, lalu coba lagi.",
    timeUpTitle: "Waktu habis",
    finishedTitle: "Ujian selesai",
    endSaved: "{count} dari {total} soal terjawab dan tersimpan di server.",
    endWaiting: "Server sedang menutup ujian Anda. Tanda terima akan muncul di sini.",
    endWaitingLong: "Tanda terima belum tersedia. Muat ulang halaman ini beberapa saat lagi.",
    endLost: "{count} jawaban terakhir tidak tersimpan karena ujian sudah ditutup.",
    endSending: "{count} jawaban masih dikirim; jawaban diterima selama masih dalam batas waktu.",
    reasonSubmitted: "Dikumpulkan oleh peserta",
    reasonTimeOver: "Waktu habis (ditutup otomatis)",
    notStartedTitle: "Sesi ujian belum dimulai",
    notStarted: "Sesi ujian Anda dimulai pada {time}. Tekan Coba lagi saat waktunya tiba.",
    sessionOverTitle: "Sesi ujian sudah lewat",
    lateEntryTitle: "Batas waktu masuk sudah lewat",
    noBookingTitle: "Belum ada sesi ujian",
    networkTitle: "Tidak dapat terhubung",
    network: "Tidak dapat terhubung ke server. Periksa koneksi, lalu coba lagi.",
    loginTitle: "Silakan masuk lagi",
    errorTitle: "Terjadi kesalahan",
    error: "Permintaan tidak dapat diproses. Silakan coba lagi.",
    openTitle: "Ujian dapat dimulai",
    countdownStart: "Ujian dapat dimulai dalam",
    countdownLate: "Batas mulai ujian dalam",
    days: "{d} hari {time}",
    whyNotStarted:
      "Tombol Mulai ujian aktif sendiri saat sesi dimulai. Halaman ini tidak perlu dimuat ulang.",
    placeToBeAnnounced: "Akan diumumkan",
    minutes: "{n} menit",
    extendedMinutes: "Waktu ditambah {n} menit oleh panitia.",
    extendedSeconds: "Waktu ditambah {n} detik oleh panitia.",
    extendedMixed: "Waktu ditambah {m} menit {s} detik oleh panitia.",
    copied: "Tersalin",
    copyManually: "Tekan lama kode di atas, lalu pilih Salin.",
    logoutPending:
      "{count} jawaban belum terkirim. Jawaban itu tetap di perangkat ini dan dikirim saat " +
      "Anda masuk lagi di perangkat ini.",
    logoutSending: "Mengirim jawaban yang belum terkirim...",
  };
  var DAYS = ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"];

  var REQUEST_TIMEOUT_MS = 15000;
  var BACKOFF_FIRST_MS = 1000;
  var BACKOFF_CAP_MS = 10000;
  // At zero, queued answers still have the server's grace period (a few seconds).
  var FINAL_FLUSH_MS = 4000;
  var SUBMIT_FLUSH_MS = 10000;
  // Without any save for this long, ask the server again: keeps the login alive and
  // corrects the countdown after the phone slept (performance.now() may pause then).
  var RESYNC_IDLE_MS = 5 * 60 * 1000;
  var FINAL_POLLS_MS = [2000, 3000, 3000, 5000, 5000, 10000, 10000, 15000];
  var EVENT_QUEUE_MAX = 100;

  var root = document.getElementById("exam");
  if (!root) return;
  // The stem, image and options: drawn by question_view.js, shared with the editor's preview.
  var questionCard = root.querySelector(".exam-question");
  var API = root.getAttribute("data-api-base");
  var STATUS_API = root.getAttribute("data-status-api") || "";
  var LOGIN_URL = root.getAttribute("data-login");
  var LOGOUT_URL = root.getAttribute("data-logout") || "";
  var ZONE_OFFSET_MS = Number(root.getAttribute("data-zone-offset") || 0) * 60 * 1000;
  var ZONE_NAME = root.getAttribute("data-zone-name") || "UTC";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function $(id) {
    return document.getElementById(id);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) {
      return String(values[name]);
    });
  }

  var state = {
    attemptId: null,
    status: null,
    questions: [],
    acked: {}, // position -> choice the server has confirmed (null: none)
    ackedSeq: {},
    // Acknowledgements counted, and the count at each position's latest one: a snapshot
    // of the attempt requested before an acknowledgement must not undo it on screen.
    acks: 0,
    ackedAt: {},
    rejected: {},
    flags: {},
    current: 1,
    clock: null, // {deadline, server, received}: ms; see remainingMs()
    lastContact: 0,
    ended: false, // no more input: time is up or the attempt is finished
    finalShown: false,
    blocked: null, // "login" | "reload": the queue waits for the candidate
    flushing: false,
    inflight: null,
    failing: false,
    backoffMs: 0,
    retryTimer: null,
    lost: 0,
    endKind: "time",
    warned5: false,
    warned1: false,
    retryAction: null,
    resyncing: false,
    leaving: false, // the page is being unloaded (reload, closed tab)
    lastPoll: 0, // performance.now() of the last question for the deadline
    polling: false,
    logoutConfirmed: false,
  };

  // Before the start: the status from the server and the countdown it drives.
  var before = {
    data: null,
    clock: null, // {target, server, received}: ms, like state.clock
    loading: false,
    lastPoll: 0,
    retryAt: 0,
  };

  /* How often the page asks the server (deadline during the test, status before it). */
  function pollMs() {
    var seconds = Number(root.getAttribute("data-poll-seconds"));
    return (seconds > 0 ? seconds : 30) * 1000;
  }

  // --- storage: localStorage, or memory when the browser refuses it -------------------

  var memory = {};

  function load(name, fallback) {
    var key = storageKey(name);
    var raw = null;
    if (Object.prototype.hasOwnProperty.call(memory, key)) {
      raw = memory[key];
    } else {
      try {
        raw = window.localStorage.getItem(key);
      } catch (e) {
        raw = null;
      }
    }
    if (raw === null || raw === undefined) return fallback;
    try {
      return JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }

  function save(name, value) {
    var key = storageKey(name);
    var raw = JSON.stringify(value);
    memory[key] = raw;
    try {
      window.localStorage.setItem(key, raw);
    } catch (e) {
      // Private mode or a full storage: the memory copy still serves this page.
    }
  }

  function forgetAttempt() {
    ["queue", "seq", "flags", "pos", "events", "seen"].forEach(function (name) {
      var key = storageKey(name);
      delete memory[key];
      try {
        window.localStorage.removeItem(key);
      } catch (e) {
        // nothing stored
      }
    });
  }

  function storageKey(name) {
    return "exam." + state.attemptId + "." + name;
  }

  // --- the server --------------------------------------------------------------------

  var requestsInFlight = 0;

  /* Requests under way, on the root element: lets a test (or a curious support person)
   * see that the page has gone quiet. */
  function countRequest(delta) {
    requestsInFlight += delta;
    root.setAttribute("data-requests", String(requestsInFlight));
  }

  /* One request to the attempt API (`path` below data-api-base). */
  function call(method, path, body) {
    return request(method, API + path, body);
  }

  /* One request; resolves (never rejects) with {status, data, received}. status 0 means
   * the network failed or the request timed out. */
  function request(method, url, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller
      ? setTimeout(function () {
          controller.abort();
        }, REQUEST_TIMEOUT_MS)
      : null;
    var headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = CSRF;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    var options = {
      method: method,
      headers: headers,
      credentials: "same-origin",
      cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller ? controller.signal : undefined,
    };
    var done = function (status, data) {
      if (timer) clearTimeout(timer);
      countRequest(-1);
      var received = performance.now();
      if (status > 0 && status < 500) state.lastContact = received;
      return { status: status, data: data, received: received };
    };
    countRequest(1);
    return fetch(url, options).then(
      function (response) {
        return response.json().then(
          function (data) {
            return done(response.status, data);
          },
          function () {
            return done(response.status, null);
          }
        );
      },
      function () {
        return done(0, null);
      }
    );
  }

  function errorCode(result) {
    return result.data && result.data.error ? result.data.error.code : "";
  }

  function errorMessage(result) {
    return result.data && result.data.error ? result.data.error.message : T.error;
  }

  // --- the countdown: the server's clock, carried forward with performance.now() -------

  function parseTime(iso) {
    // Python sends microseconds; keep milliseconds for every browser's Date.parse.
    return Date.parse(String(iso).replace(/(\.\d{3})\d+/, "$1"));
  }

  function anchor(data, result) {
    if (!data || !data.deadline || !data.server_time) return;
    var deadline = parseTime(data.deadline);
    var server = parseTime(data.server_time);
    if (isNaN(deadline) || isNaN(server)) return;
    // A deadline only ever moves later (an extension): a reply that was on its way
    // before one carries the old deadline and must not take the time back.
    var previous = state.clock ? state.clock.deadline : null;
    if (previous !== null) deadline = Math.max(deadline, previous);
    state.clock = { deadline: deadline, server: server, received: result.received };
    if (previous !== null && deadline - previous >= 1000) noteExtension(deadline - previous);
  }

  /* An admin gave extra time: say so, and forget the warnings it made untrue. */
  function noteExtension(ms) {
    var seconds = Math.round(ms / 1000);
    var text;
    if (seconds % 60 === 0) text = fill(T.extendedMinutes, { n: seconds / 60 });
    else if (seconds < 60) text = fill(T.extendedSeconds, { n: seconds });
    else text = fill(T.extendedMixed, { m: Math.floor(seconds / 60), s: seconds % 60 });
    var note = $("exam-extended");
    note.textContent = text;
    note.hidden = false;
    var left = remainingMs();
    if (left > 60 * 1000) state.warned1 = false;
    if (left > 300 * 1000) state.warned5 = false;
    if (!state.warned1 && !state.warned5) $("exam-alert").hidden = true;
  }

  function remainingMs() {
    var c = state.clock;
    if (!c) return 0;
    return c.deadline - (c.server + (performance.now() - c.received));
  }

  function formatDuration(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var mmss = pad(m) + ":" + pad(s);
    return h ? h + ":" + mmss : mmss;
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  /* A session's time from the server in the page's zone, to the minute:
     "Senin, 25-11-2026 10:00 WITA". */
  function localDay(iso) {
    var t = parseTime(iso);
    if (isNaN(t)) return "-";
    var d = new Date(t + ZONE_OFFSET_MS);
    return (
      DAYS[d.getUTCDay()] + ", " + pad(d.getUTCDate()) + "-" + pad(d.getUTCMonth() + 1) + "-" +
      d.getUTCFullYear() + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " " +
      ZONE_NAME
    );
  }

  /* A countdown: "1:02:03", "02:03", or "2 hari 03:04:05". */
  function formatCountdown(seconds) {
    var days = Math.floor(seconds / 86400);
    if (!days) return formatDuration(seconds);
    var rest = seconds % 86400;
    var time = pad(Math.floor(rest / 3600)) + ":" + formatDuration(rest % 3600);
    return fill(T.days, { d: days, time: time });
  }

  /* An ISO time from the server shown in the page's zone (Indonesia has no daylight
     saving time, so one offset fits every date): "25-11-2026 10:00:00 WITA". */
  function localTime(iso) {
    var t = parseTime(iso);
    if (isNaN(t)) return "-";
    var d = new Date(t + ZONE_OFFSET_MS);
    return (
      pad(d.getUTCDate()) + "-" + pad(d.getUTCMonth() + 1) + "-" + d.getUTCFullYear() + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + " " +
      ZONE_NAME
    );
  }

  function tick() {
    if (state.status !== "in_progress" || !state.clock || state.ended) return;
    var ms = remainingMs();
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    var timer = $("exam-timer");
    var text = formatDuration(seconds);
    if (timer.textContent !== text) timer.textContent = text;
    timer.setAttribute("data-remaining", String(seconds));
    timer.parentNode.classList.toggle("low", seconds <= 300);
    warnIfLow(seconds);
    if (ms <= 0) endTest("time");
  }

  function warnIfLow(seconds) {
    var alert = $("exam-alert");
    if (seconds <= 60 && !state.warned1) {
      state.warned1 = state.warned5 = true;
      alert.textContent = T.warn1;
      alert.hidden = false;
    } else if (seconds <= 300 && seconds > 60 && !state.warned5) {
      state.warned5 = true;
      alert.textContent = T.warn5;
      alert.hidden = false;
    }
  }

  // --- answers: sequence numbers and the retry queue -------------------------------------

  /* A number larger than every one this device used for the attempt. If the browser's
   * storage was wiped, the counter restarts low: the server then reports a newer stored
   * write, and acknowledge() lifts the counter above it. Small numbers on purpose: the
   * device clock is not trusted, and the server takes seq only up to 2^53 - 1 (exact
   * in JavaScript, in Redis's Lua and in the database). */
  function nextSeq() {
    var seq = load("seq", 0) + 1;
    save("seq", seq);
    return seq;
  }

  function queue() {
    return load("queue", {});
  }

  function pendingCount() {
    return Object.keys(queue()).length;
  }

  function enqueue(position, choice) {
    var q = queue();
    q[position] = { choice: choice, seq: nextSeq() };
    save("queue", q);
  }

  function nextEntry() {
    var q = queue();
    var best = null;
    Object.keys(q).forEach(function (position) {
      if (!best || q[position].seq < best.seq) {
        best = { position: Number(position), choice: q[position].choice, seq: q[position].seq };
      }
    });
    return best;
  }

  /* Remove the queued write of `position` unless a newer one replaced it meanwhile. */
  function settle(position, seq) {
    var q = queue();
    if (q[position] && q[position].seq <= seq) {
      delete q[position];
      save("queue", q);
    }
  }

  function choiceOf(position) {
    var q = queue();
    if (q[position]) return q[position].choice;
    return state.acked[position] || null;
  }

  function choose(position, choice) {
    if (state.ended) return;
    delete state.rejected[position];
    enqueue(position, choice);
    renderAnswers();
    flush();
  }

  /* Send queued answers one at a time, oldest first, then integrity events. */
  function flush() {
    if (state.flushing || state.blocked || state.finalShown || !state.attemptId) return;
    if (state.retryTimer) clearTimeout(state.retryTimer);
    state.retryTimer = null;
    state.flushing = true;
    var step = function () {
      var entry = nextEntry();
      var work = entry ? sendAnswer(entry) : nextEvent() ? sendEvent() : null;
      if (!work) return finish("idle");
      return work.then(function (outcome) {
        return outcome === "ok" ? step() : finish(outcome);
      });
    };
    var finish = function (outcome) {
      state.flushing = false;
      state.inflight = null;
      if (outcome === "idle") {
        state.failing = false;
        state.backoffMs = 0;
      } else if (outcome === "retry") {
        retryLater();
      }
      renderAnswers();
    };
    step();
  }

  function retryLater() {
    state.backoffMs = Math.min(
      BACKOFF_CAP_MS,
      state.backoffMs ? state.backoffMs * 2 : BACKOFF_FIRST_MS
    );
    // Jitter: thousands of phones that lost the same Wi-Fi must not retry in step.
    var delay = Math.min(BACKOFF_CAP_MS, state.backoffMs * (0.75 + Math.random() * 0.5));
    state.retryTimer = setTimeout(flush, delay);
  }

  function sendAnswer(entry) {
    state.inflight = entry.position;
    renderAnswers();
    var body = { choice: entry.choice, seq: entry.seq };
    return call("PUT", "/answers/" + entry.position, body).then(function (result) {
      state.inflight = null;
      var code = errorCode(result);
      if (result.status === 200 && result.data) {
        anchor(result.data, result);
        acknowledge(entry, result.data);
        state.failing = false;
        state.backoffMs = 0;
        return "ok";
      }
      if (result.status === 409 && (code === "time_over" || code === "attempt_finished")) {
        endTest(code);
        return "stop";
      }
      if (blockedBy(result)) return "stop";
      if (result.status === 0 || result.status === 429 || result.status >= 500) {
        state.failing = true;
        return "retry";
      }
      // 422 and the like: sending the same write again cannot succeed.
      settle(entry.position, entry.seq);
      state.rejected[entry.position] = true;
      return "ok";
    });
  }

  function acknowledge(entry, data) {
    var position = entry.position;
    if (!(data.seq < (state.ackedSeq[position] || 0))) {
      state.acked[position] = data.choice;
      state.ackedSeq[position] = data.seq;
      state.acks += 1;
      state.ackedAt[position] = state.acks;
    }
    settle(position, entry.seq);
    if (data.seq === entry.seq && data.choice === entry.choice) return;
    // Refused as stale: the server holds a write at least as new (this device's counter
    // was lost with the browser's storage, or another tab wrote). Continue above it;
    // unless a newer choice is queued already, the choice on screen wins.
    save("seq", Math.max(load("seq", 0), data.seq));
    if (data.choice !== entry.choice && !queue()[position]) enqueue(position, entry.choice);
  }

  /* A 401, or a refused CSRF token (an expired login takes its token along): the queue
   * waits, kept on the device, until the candidate logs in again or reloads the page. */
  function blockedBy(result) {
    if (result.status === 401) return block("login");
    if (result.status !== 400 || errorCode(result) !== "csrf_failed") return null;
    block("reload");
    call("GET", "").then(function (check) {
      if (check.status === 401) block("login");
    });
    return "stop";
  }

  function block(reason) {
    state.blocked = reason;
    var box = $("exam-blocked");
    var link = $("exam-blocked-link");
    $("exam-blocked-text").textContent = reason === "login" ? T.loginExpired : T.pageExpired;
    link.textContent = reason === "login" ? T.loginAgain : T.reload;
    link.setAttribute("href", reason === "login" ? LOGIN_URL : window.location.pathname);
    box.hidden = false;
    renderStatus();
    return "stop";
  }

  /* Resolves true once nothing is queued, false after `ms` or when the queue is blocked. */
  function waitForQueue(ms) {
    var started = performance.now();
    var kicked = 0;
    return new Promise(function (resolve) {
      var check = function () {
        var now = performance.now();
        if (!nextEntry()) return resolve(true);
        if (now - started >= ms || state.blocked) return resolve(false);
        if (!state.flushing && now - kicked >= 1000) {
          kicked = now;
          state.backoffMs = 0;
          flush();
        }
        setTimeout(check, 200);
      };
      check();
    });
  }

  // --- integrity events: best effort, after the answers, never in their way ------------

  function recordEvent(kind) {
    if (!state.attemptId || state.status !== "in_progress" || state.finalShown) return;
    var events = load("events", []);
    events.push(kind);
    save("events", events.slice(-EVENT_QUEUE_MAX));
    flush();
  }

  function nextEvent() {
    return load("events", [])[0] || null;
  }

  function sendEvent() {
    var kind = nextEvent();
    return call("POST", "/events", { kind: kind }).then(function (result) {
      if (result.status === 0 || result.status === 429 || result.status >= 500) return "retry";
      if (blockedBy(result)) return "stop";
      var events = load("events", []);
      if (events[0] === kind) save("events", events.slice(1));
      return "ok";
    });
  }

  // --- screens -----------------------------------------------------------------------------

  var SECTIONS = ["exam-loading", "exam-intro", "exam-message", "exam-test", "exam-end"];

  function show(id) {
    SECTIONS.forEach(function (section) {
      $(section).hidden = section !== id;
    });
  }

  function showMessage(title, text, retryAction, needsLogin) {
    $("exam-message-title").textContent = title;
    $("exam-message-text").textContent = text;
    $("exam-retry").hidden = !retryAction;
    $("exam-login").hidden = !needsLogin;
    state.retryAction = retryAction || null;
    show("exam-message");
  }

  function showProblem(result, retryAction) {
    var code = errorCode(result);
    var data = result.data || {};
    if (result.status === 0) return showMessage(T.networkTitle, T.network, retryAction);
    if (result.status === 401) return showMessage(T.loginTitle, errorMessage(result), null, true);
    if (code === "session_not_started") {
      var startsAt = data.starts_at || (data.error && data.error.starts_at);
      return showMessage(T.notStartedTitle, fill(T.notStarted, { time: localTime(startsAt) }), start);
    }
    if (code === "session_over") return showMessage(T.sessionOverTitle, errorMessage(result));
    if (code === "late_entry_closed") return showMessage(T.lateEntryTitle, errorMessage(result));
    if (code === "no_booking") return showMessage(T.noBookingTitle, errorMessage(result));
    showMessage(T.errorTitle, errorMessage(result), retryAction);
  }

  function boot() {
    show("exam-loading");
    call("GET", "").then(function (result) {
      if (result.status === 200 && result.data) return applyAttempt(result.data, result);
      if (result.status === 404) return STATUS_API ? loadStatus() : show("exam-intro");
      showProblem(result, boot);
    });
  }

  // Refusals of a start that the before-start screen explains itself.
  var BEFORE_CODES = ["no_booking", "session_not_started", "late_entry_closed", "session_over"];

  function start() {
    var button = $("exam-start");
    button.disabled = true;
    show("exam-loading");
    call("POST", "").then(function (result) {
      if (result.status === 200 && result.data) return applyAttempt(result.data, result);
      if (STATUS_API && BEFORE_CODES.indexOf(errorCode(result)) >= 0) return loadStatus();
      button.disabled = false;
      showProblem(result, start);
    });
  }

  // --- before the start: the booked session and the countdown to it ----------------------

  /* Ask the server whether the test can start (first load, at zero, every 30 s). */
  function loadStatus() {
    if (before.loading) return;
    before.loading = true;
    before.lastPoll = performance.now();
    request("GET", STATUS_API).then(function (result) {
      before.loading = false;
      if (result.status === 200 && result.data) return showBefore(result.data, result);
      // Keep what is shown while the network is away: the next poll asks again.
      if (result.status === 0 && before.data) return;
      showProblem(result, boot);
    });
  }

  var BEFORE_TITLES = {
    open: T.openTitle,
    session_not_started: T.notStartedTitle,
    late_entry_closed: T.lateEntryTitle,
    session_over: T.sessionOverTitle,
    no_booking: T.noBookingTitle,
  };

  function showBefore(data, result) {
    if (state.attemptId !== null) return;
    // Started meanwhile (another tab or device), or finished: the attempt says the rest.
    if (data.state === "in_progress" || data.state === "finished") return boot();
    var first = before.data === null || $("exam-intro").hidden;
    before.data = data;
    var session = data.session;
    var target = null;
    if (session && data.state === "session_not_started") target = session.starts_at;
    if (session && data.state === "open") target = session.late_entry_closes_at;
    var server = parseTime(data.server_time);
    before.clock =
      target && !isNaN(server)
        ? { target: parseTime(target), server: server, received: result.received }
        : null;
    root.setAttribute("data-start-state", data.state);

    $("exam-intro-title").textContent = BEFORE_TITLES[data.state] || T.errorTitle;
    var message = $("exam-before-message");
    message.textContent = data.message;
    // Not started yet: the title and the countdown say it already.
    message.hidden = !data.message || data.state === "session_not_started";
    $("exam-countdown").hidden = !before.clock;
    $("exam-countdown-label").textContent =
      data.state === "open" ? T.countdownLate : T.countdownStart;
    $("exam-countdown").classList.toggle("open", data.state === "open");
    $("exam-session").hidden = !session;
    if (session) {
      $("exam-session-activity").textContent = session.activity_name;
      $("exam-session-starts").textContent = localDay(session.starts_at);
      $("exam-session-late").textContent = localDay(session.late_entry_closes_at);
      $("exam-session-duration").textContent = fill(T.minutes, {
        n: String(Math.round(session.duration_seconds / 6) / 10).replace(".", ","),
      });
      $("exam-session-place").textContent = session.place || T.placeToBeAnnounced;
    }
    var button = $("exam-start");
    var waiting = data.state === "session_not_started" || data.state === "open";
    button.hidden = !waiting;
    button.disabled = !data.can_start;
    $("exam-book").hidden = data.state !== "no_booking";
    // Nothing to start here (closed, over, no booking): the way back, not the rules.
    $("exam-home").hidden = waiting;
    $("exam-rules").hidden = !waiting;
    var why = $("exam-start-why");
    why.textContent = data.state === "session_not_started" ? T.whyNotStarted : "";
    why.hidden = !why.textContent;
    if (first) show("exam-intro");
    tickBefore();
  }

  function tickBefore() {
    if (!before.clock || $("exam-intro").hidden) return;
    var c = before.clock;
    var ms = c.target - (c.server + (performance.now() - c.received));
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    var timer = $("exam-countdown-time");
    var text = formatCountdown(seconds);
    if (timer.textContent !== text) timer.textContent = text;
    timer.setAttribute("data-seconds", String(seconds));
    // At zero the server decides (it may be a moment behind): ask, and again shortly.
    if (ms <= 0 && performance.now() >= before.retryAt) {
      before.retryAt = performance.now() + 2000;
      loadStatus();
    }
  }

  /* While waiting for the session (or for late entry to close), ask now and then: an
   * admin may have moved the session, and a phone asleep stops performance.now(). */
  function pollBefore() {
    if (!STATUS_API || !before.data || $("exam-intro").hidden) return;
    var waiting = before.data.state === "session_not_started" || before.data.state === "open";
    if (waiting && performance.now() - before.lastPoll >= pollMs()) loadStatus();
  }

  /* The server's view of the attempt (start, resume, resync): it wins over the page's,
   * except for answers acknowledged after the request for it was sent (`since`, a count
   * of acknowledgements): the snapshot may predate them. */
  function applyAttempt(data, result, since) {
    if (state.attemptId !== null && data.attempt_id !== state.attemptId) {
      return window.location.reload();
    }
    if (data.status === "finished") return showFinished(data);
    var first = state.attemptId === null;
    state.attemptId = data.attempt_id;
    state.status = data.status;
    if (data.questions && data.questions.length) state.questions = data.questions;
    var newer = {};
    Object.keys(state.ackedAt).forEach(function (position) {
      if (since !== undefined && state.ackedAt[position] > since) {
        newer[position] = state.acked[position];
      }
    });
    state.acked = {};
    Object.keys(data.answers || {}).forEach(function (position) {
      state.acked[position] = data.answers[position];
    });
    Object.keys(newer).forEach(function (position) {
      state.acked[position] = newer[position];
    });
    anchor(data, result);
    state.lastPoll = result.received;
    if (first) openTest(data);
    if (remainingMs() <= 0) return endTest("time");
    if (state.ended && !state.finalShown && remainingMs() > 5000) reopen();
    renderAnswers();
    tick();
    flush();
  }

  function openTest(data) {
    var resumed = load("seen", false) || Object.keys(data.answers || {}).length > 0;
    save("seen", true);
    (load("flags", []) || []).forEach(function (position) {
      state.flags[position] = true;
    });
    var position = Number(load("pos", 1));
    state.current = position >= 1 && position <= state.questions.length ? position : 1;
    buildGrid();
    show("exam-test");
    renderQuestion();
    if (resumed) recordEvent("resumed");
  }

  /* An admin gave extra time after this page had reached zero. */
  function reopen() {
    state.ended = false;
    state.endKind = "time";
    state.warned1 = state.warned5 = false;
    $("exam-alert").hidden = true;
    show("exam-test");
    setInputsEnabled(true);
  }

  function endTest(kind) {
    if (state.finalShown) return;
    if (kind !== "time") {
      // The server refuses further answers: what is still queued is lost.
      state.lost += pendingCount();
      save("queue", {});
    }
    if (kind !== "time" || !state.ended) state.endKind = kind;
    if (state.ended) return renderEnd();
    state.ended = true;
    setInputsEnabled(false);
    $("exam-confirm").hidden = true;
    $("exam-timer").textContent = formatDuration(0);
    $("exam-timer").setAttribute("data-remaining", "0");
    renderStatus();
    var wait = kind === "time" ? waitForQueue(FINAL_FLUSH_MS) : Promise.resolve(true);
    wait.then(function () {
      renderEnd();
      awaitFinal(0);
    });
  }

  function renderEnd() {
    if (state.finalShown) return;
    var title = state.endKind === "attempt_finished" ? T.finishedTitle : T.timeUpTitle;
    $("exam-end-title").textContent = title;
    $("exam-end-text").textContent =
      fill(T.endSaved, { count: answeredOnServer(), total: state.questions.length }) +
      " " + T.endWaiting;
    renderLost();
    if ($("exam-end").hidden) {
      show("exam-end");
      $("exam-end-title").focus();
    }
  }

  function renderLost() {
    var box = $("exam-end-lost");
    var pending = pendingCount();
    var text = "";
    if (state.lost) text = fill(T.endLost, { count: state.lost });
    else if (pending) text = fill(T.endSending, { count: pending });
    box.textContent = text;
    box.hidden = !text;
  }

  /* After zero the finishing worker closes the attempt server-side: wait for its receipt. */
  function awaitFinal(round) {
    if (state.finalShown) return;
    if (round >= FINAL_POLLS_MS.length) {
      $("exam-end-text").textContent =
        fill(T.endSaved, { count: answeredOnServer(), total: state.questions.length }) +
        " " + T.endWaitingLong;
      return;
    }
    setTimeout(function () {
      var since = state.acks;
      call("GET", "").then(function (result) {
        if (result.status === 200 && result.data) applyAttempt(result.data, result, since);
        if (!state.finalShown && state.ended) {
          renderEnd();
          awaitFinal(round + 1);
        }
      });
    }, FINAL_POLLS_MS[round]);
  }

  function showFinished(data) {
    var receipt = data.receipt;
    var timeOver = receipt && receipt.finish_reason === "time_over";
    var answered = answeredOnServer();
    state.status = "finished";
    state.ended = true;
    state.finalShown = true;
    if (state.attemptId === null) state.attemptId = data.attempt_id;
    state.lost += pendingCount();
    forgetAttempt();
    if (state.retryTimer) clearTimeout(state.retryTimer);
    $("exam-end-title").textContent = timeOver ? T.timeUpTitle : T.finishedTitle;
    $("exam-end-text").textContent = state.questions.length
      ? fill(T.endSaved, { count: answered, total: state.questions.length })
      : "";
    // Opened after the end (a reload): the page knows no questions; the server counts.
    if (!state.questions.length && STATUS_API) showCountFromServer(data.attempt_id);
    renderLost();
    if (receipt) {
      $("exam-receipt-time").textContent = localTime(receipt.finished_at);
      $("exam-receipt-reason").textContent = timeOver ? T.reasonTimeOver : T.reasonSubmitted;
      $("exam-receipt-hash").textContent = receipt.answers_hash;
    }
    $("exam-receipt").hidden = !receipt;
    $("exam-receipt-note").hidden = !receipt;
    show("exam-end");
    $("exam-end-title").focus();
  }

  function showCountFromServer(attemptId) {
    request("GET", STATUS_API).then(function (result) {
      var data = result.data;
      if (result.status !== 200 || !data || data.attempt_id !== attemptId) return;
      if (data.answered_count === null || !data.question_count) return;
      $("exam-end-text").textContent = fill(T.endSaved, {
        count: data.answered_count,
        total: data.question_count,
      });
    });
  }

  /* "Salin kode": the clipboard API where the page is a secure context, else the old way
   * (select the code, execCommand), else the code stays selected for a long press. */
  function copyReceipt() {
    var code = $("exam-receipt-hash");
    var text = code.textContent;
    var note = $("exam-receipt-copied");
    var done = function (copied) {
      note.textContent = copied ? T.copied : T.copyManually;
      note.classList.toggle("manual", !copied);
      note.hidden = false;
    };
    var fallback = function () {
      var range = document.createRange();
      range.selectNodeContents(code);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (e) {
        copied = false;
      }
      done(copied);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        done(true);
      }, fallback);
    } else {
      fallback();
    }
  }

  function answeredOnServer() {
    return Object.keys(state.acked).filter(function (p) {
      return state.acked[p];
    }).length;
  }

  /* Ask the server for the whole state again (visible again, back online, long idle). */
  function resync() {
    if (!state.attemptId || state.finalShown || state.resyncing) return;
    state.resyncing = true;
    state.lastPoll = performance.now();
    var since = state.acks;
    call("GET", "").then(function (result) {
      state.resyncing = false;
      if (result.status === 200 && result.data) applyAttempt(result.data, result, since);
      else if (result.status === 401) block("login");
    });
  }

  /* Every 30 s during the test: only the deadline (GET status, light), so an extension
   * reaches the page within seconds. Without a status API, the whole attempt. */
  function pollDeadline() {
    if (state.status !== "in_progress" || state.ended || state.polling || state.blocked) return;
    if (performance.now() - state.lastPoll < pollMs()) return;
    state.lastPoll = performance.now();
    if (!STATUS_API) return resync();
    state.polling = true;
    request("GET", STATUS_API).then(function (result) {
      state.polling = false;
      var data = result.data;
      if (result.status === 401) return block("login");
      if (result.status !== 200 || !data) return;
      if (data.state !== "in_progress" || data.attempt_id !== state.attemptId) return resync();
      anchor(data, result);
      tick();
    });
  }

  // --- "Keluar" during the test ----------------------------------------------------------

  function logoutForm() {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      if (LOGOUT_URL && forms[i].getAttribute("action") === LOGOUT_URL) return forms[i];
    }
    return null;
  }

  function askBeforeLogout(event) {
    if (state.logoutConfirmed || state.status !== "in_progress" || state.ended) return;
    event.preventDefault();
    var dialog = $("exam-logout");
    var pending = pendingCount();
    $("exam-logout-pending").textContent = pending ? fill(T.logoutPending, { count: pending }) : "";
    $("exam-logout-pending").hidden = !pending;
    $("exam-logout-yes").disabled = false;
    if (typeof dialog.showModal === "function") {
      if (!dialog.open) dialog.showModal();
    } else {
      dialog.setAttribute("open", "");
    }
    $("exam-logout-no").focus();
  }

  function closeLogout() {
    var dialog = $("exam-logout");
    if (typeof dialog.close === "function" && dialog.open) dialog.close();
    else dialog.removeAttribute("open");
  }

  function confirmLogout() {
    var form = logoutForm();
    if (!form) return closeLogout();
    $("exam-logout-yes").disabled = true;
    if (pendingCount()) {
      $("exam-logout-pending").textContent = T.logoutSending;
      $("exam-logout-pending").hidden = false;
    }
    // A last try for what is queued; whatever stays is kept on the device.
    waitForQueue(pendingCount() ? 5000 : 0).then(function () {
      state.logoutConfirmed = true;
      form.submit();
    });
  }

  // --- submit ------------------------------------------------------------------------------

  function openConfirm() {
    var unanswered = [];
    var flagged = [];
    state.questions.forEach(function (q) {
      if (!choiceOf(q.position)) unanswered.push(q.position);
      if (state.flags[q.position]) flagged.push(q.position);
    });
    $("exam-confirm-unanswered").textContent = unanswered.length
      ? fill(T.unanswered, { count: unanswered.length, list: unanswered.join(", ") })
      : T.allAnswered;
    $("exam-confirm-flagged").textContent = flagged.length
      ? fill(T.flagged, { list: flagged.join(", ") })
      : T.noFlags;
    $("exam-confirm-pending").hidden = true;
    $("exam-confirm-yes").disabled = false;
    $("exam-confirm").hidden = false;
    $("exam-confirm-title").focus();
  }

  function submit() {
    var yes = $("exam-confirm-yes");
    var note = $("exam-confirm-pending");
    yes.disabled = true;
    if (pendingCount()) {
      note.textContent = fill(T.sendingPending, { count: pendingCount() });
      note.hidden = false;
    }
    waitForQueue(SUBMIT_FLUSH_MS)
      .then(function (flushed) {
        if (!flushed) throw new Error("pending");
        return call("POST", "/submit");
      })
      .then(
        function (result) {
          if (result.status === 200 && result.data && result.data.status === "finished") {
            return showFinished(result.data);
          }
          blockedBy(result);
          note.textContent = result.status ? errorMessage(result) : T.submitFailed;
          note.hidden = false;
          yes.disabled = state.ended;
        },
        function () {
          note.textContent = fill(T.pendingBlocked, { count: pendingCount() });
          note.hidden = false;
          yes.disabled = state.ended;
        }
      );
  }

  // --- rendering ---------------------------------------------------------------------------

  function questionAt(position) {
    return state.questions[position - 1];
  }

  function renderQuestion() {
    var q = questionAt(state.current);
    if (!q) return;
    $("exam-qnum").textContent = fill(T.question, {
      n: q.position,
      total: state.questions.length,
    });
    QuestionView.render(questionCard, q, { name: "choice", number: q.position });
    $("exam-prev").disabled = state.current <= 1;
    $("exam-next").disabled = state.current >= state.questions.length;
    setInputsEnabled(!state.ended);
    renderAnswers();
  }

  /* Everything that changes when an answer is chosen, sent or acknowledged. */
  function renderAnswers() {
    if (!state.questions.length) return;
    var position = state.current;
    var choice = choiceOf(position);
    QuestionView.select(questionCard, choice);
    $("exam-clear").disabled = state.ended || !choice;
    var flagged = !!state.flags[position];
    var flag = $("exam-flag");
    flag.setAttribute("aria-pressed", String(flagged));
    flag.textContent = flagged ? T.unflag : T.flag;
    var qstate = $("exam-qstate");
    var kind = questionState(position);
    qstate.setAttribute("data-state", kind);
    qstate.textContent = {
      saved: T.stateSaved,
      saving: T.stateSaving,
      pending: T.statePending,
      rejected: T.stateRejected,
      empty: T.stateEmpty,
    }[kind];
    renderGrid();
    renderStatus();
    if (!$("exam-end").hidden && !state.finalShown) renderLost();
  }

  function questionState(position) {
    if (queue()[position]) return state.inflight === position ? "saving" : "pending";
    if (state.rejected[position]) return "rejected";
    return state.acked[position] ? "saved" : "empty";
  }

  function renderStatus() {
    var status = $("exam-status");
    var text = T.saved;
    var kind = "ok";
    var pending = pendingCount();
    if (state.blocked) {
      text = state.blocked === "login" ? T.loginExpired : T.pageExpired;
      kind = "error";
    } else if (!navigator.onLine) {
      text = T.offline;
      kind = "offline";
    } else if (pending && state.failing) {
      text = T.busy;
      kind = "offline";
    } else if (state.ended && pending) {
      text = T.closing;
      kind = "busy";
    } else if (pending || state.inflight) {
      text = T.saving;
      kind = "busy";
    }
    if (status.textContent !== text) status.textContent = text;
    status.className = "exam-status " + kind;
    status.setAttribute("data-state", kind);
  }

  function buildGrid() {
    var grid = $("exam-grid");
    grid.textContent = "";
    state.questions.forEach(function (q) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = String(q.position);
      button.setAttribute("data-position", String(q.position));
      item.appendChild(button);
      grid.appendChild(item);
    });
  }

  function renderGrid() {
    var buttons = $("exam-grid").querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (button) {
      var position = Number(button.getAttribute("data-position"));
      var answered = !!choiceOf(position);
      var flagged = !!state.flags[position];
      var pending = !!queue()[position];
      button.className =
        (answered ? "answered" : "unanswered") +
        (flagged ? " flagged" : "") +
        (pending ? " pending" : "");
      var label = [fill(T.cell, { n: position }), answered ? T.cellAnswered : T.cellUnanswered];
      if (flagged) label.push(T.cellFlagged);
      if (pending) label.push(T.cellPending);
      button.setAttribute("aria-label", label.join(", "));
      if (position === state.current) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
  }

  function setInputsEnabled(enabled) {
    $("exam-options").disabled = !enabled;
    ["exam-flag", "exam-finish", "exam-confirm-yes"].forEach(function (id) {
      $(id).disabled = !enabled;
    });
    $("exam-clear").disabled = !enabled || !choiceOf(state.current);
  }

  function goTo(position, focus) {
    if (position < 1 || position > state.questions.length) return;
    state.current = position;
    save("pos", position);
    renderQuestion();
    if (focus) $("exam-qnum").focus();
  }

  function toggleFlag() {
    var position = state.current;
    if (state.flags[position]) delete state.flags[position];
    else state.flags[position] = true;
    save("flags", Object.keys(state.flags).map(Number));
    renderAnswers();
  }

  // --- wiring --------------------------------------------------------------------------------

  $("exam-option-list").addEventListener("change", function (event) {
    if (event.target.name === "choice") choose(state.current, event.target.value);
  });
  $("exam-clear").addEventListener("click", function () {
    choose(state.current, null);
  });
  $("exam-flag").addEventListener("click", toggleFlag);
  $("exam-prev").addEventListener("click", function () {
    goTo(state.current - 1, true);
  });
  $("exam-next").addEventListener("click", function () {
    goTo(state.current + 1, true);
  });
  $("exam-grid").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-position]");
    if (button) goTo(Number(button.getAttribute("data-position")), true);
  });
  $("exam-finish").addEventListener("click", openConfirm);
  $("exam-confirm-no").addEventListener("click", function () {
    $("exam-confirm").hidden = true;
    $("exam-finish").focus();
  });
  $("exam-confirm-yes").addEventListener("click", submit);
  $("exam-start").addEventListener("click", start);
  $("exam-receipt-copy").addEventListener("click", copyReceipt);
  $("exam-logout-no").addEventListener("click", closeLogout);
  $("exam-logout-yes").addEventListener("click", confirmLogout);
  if (logoutForm()) logoutForm().addEventListener("submit", askBeforeLogout);
  $("exam-retry").addEventListener("click", function () {
    if (state.retryAction) state.retryAction();
  });

  window.addEventListener("online", function () {
    renderStatus();
    if (!$("exam-message").hidden && state.retryAction) return state.retryAction();
    if (STATUS_API && !$("exam-intro").hidden) return loadStatus();
    recordEvent("online");
    state.backoffMs = 0;
    flush();
    resync();
  });
  window.addEventListener("offline", function () {
    recordEvent("offline");
    renderStatus();
  });
  // Leaving the page (reload, closed tab) also hides it: that is not an event to report
  // (coming back is reported as "resumed"), and a request started now would be cut off.
  window.addEventListener("pagehide", function () {
    state.leaving = true;
  });
  window.addEventListener("pageshow", function () {
    state.leaving = false;
  });
  document.addEventListener("visibilitychange", function () {
    if (STATUS_API && !document.hidden && !$("exam-intro").hidden) return loadStatus();
    if (state.status !== "in_progress" || state.ended || state.leaving) return;
    if (document.hidden) {
      recordEvent("hidden");
    } else {
      recordEvent("visible");
      resync();
    }
  });

  setInterval(function () {
    tick();
    tickBefore();
    pollDeadline();
    pollBefore();
  }, 500);
  setInterval(function () {
    if (state.status === "in_progress" && performance.now() - state.lastContact > RESYNC_IDLE_MS) {
      resync();
    }
  }, 60 * 1000);

  boot();
})();
