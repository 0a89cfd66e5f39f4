// The live monitor (/admin/sesi/<id>/pantau): keeps itself current without a reload.
//
// Every 10 s it asks the monitor API (GET /api/v1/admin/sessions/<id>/monitor). The
// numbers that change all the time (answered, time left) are written in place, and the
// time left counts down each second in between. When something that changes the page's
// shape happens (a candidate starts or finishes, a new event, an extension), the page's
// own HTML is fetched once and its regions are swapped, so every text and format stays
// the server's. A region where the admin is typing is left alone until the next poll.
(() => {
  "use strict";
  const root = document.getElementById("monitor");
  if (!root) return;
  const api = root.dataset.api;
  const stamp = document.getElementById("monitor-updated");
  let shapes = null; // booking id -> what the page shows about the row's shape
  let lastUpdate = null; // Date.now() of the last good poll
  let failed = false;
  let clocks = new Map(); // booking id -> the deadline on this device's clock (ms)

  const shapeOf = (row) =>
    [row.status, row.can_reopen, row.reopened, row.integrity_events,
      row.extension_seconds, row.accommodation_seconds].join("|");

  const clockText = (seconds) => {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };

  // Typing or choosing in a region: do not replace it under the admin's thumb.
  const busy = (region) => {
    const active = document.activeElement;
    if (active && region.contains(active) && active.matches("input, select, textarea")) return true;
    return [...region.querySelectorAll("input:not([type=hidden])")].some(
      (input) => input.value !== input.defaultValue);
  };

  const swapRegions = async () => {
    const response = await fetch(window.location.pathname, {
      credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error(String(response.status));
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    let complete = true;
    for (const region of root.querySelectorAll("[data-region]")) {
      const next = fresh.querySelector(`[data-region="${region.dataset.region}"]`);
      if (!next) continue;
      if (busy(region)) { complete = false; continue; }
      const open = [...region.querySelectorAll("details[open]")].map((d) => d.id);
      region.replaceWith(next);
      for (const id of open) {
        const details = id && document.getElementById(id);
        if (details) details.open = true;
      }
    }
    // The session-wide extension form appears once someone is in progress.
    const bulk = root.querySelector("#bulk-extend");
    const freshBulk = fresh.querySelector("#bulk-extend");
    if (!bulk && freshBulk) root.querySelector('[data-region="summary"]').after(freshBulk);
    if (bulk && !freshBulk && !busy(bulk)) bulk.remove();
    return complete;
  };

  const writeNumbers = (rows) => {
    clocks = new Map();
    const now = Date.now();
    for (const row of rows) {
      const card = root.querySelector(`.mon-card[data-booking="${row.booking_id}"]`);
      if (!card) continue;
      const answered = card.querySelector("[data-answered]");
      if (answered) answered.textContent = row.answered.toLocaleString("id-ID");
      if (row.status === "in_progress") clocks.set(row.booking_id, now + row.remaining_seconds * 1000);
    }
    tick();
  };

  function tick() {
    const now = Date.now();
    for (const [booking, deadline] of clocks) {
      const clock = root.querySelector(`.mon-card[data-booking="${booking}"] [data-remaining]`);
      if (!clock) continue;
      const left = Math.max(0, Math.round((deadline - now) / 1000));
      clock.dataset.remaining = String(left);
      clock.textContent = clockText(left);
    }
    if (!stamp) return;
    if (failed) {
      stamp.textContent = root.dataset.textFailed;
    } else if (lastUpdate !== null) {
      const ago = Math.floor((now - lastUpdate) / 1000);
      stamp.textContent = ago < 2 ? root.dataset.textNow
        : root.dataset.textUpdated.replace("{n}", ago.toLocaleString("id-ID"));
    }
  }

  let timer = null;
  let running = false;
  const poll = async () => {
    if (running) return;
    running = true;
    window.clearTimeout(timer);
    try {
      const response = await fetch(api, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      const next = new Map(data.rows.map((row) => [row.booking_id, shapeOf(row)]));
      const changed = shapes !== null && (next.size !== shapes.size
        || [...next].some(([id, shape]) => shapes.get(id) !== shape));
      let complete = true;
      if (changed) complete = await swapRegions();
      // A region left alone is compared again at the next poll.
      if (shapes === null || complete) shapes = next;
      writeNumbers(data.rows);
      lastUpdate = Date.now();
      failed = false;
      root.dataset.polls = String(Number(root.dataset.polls || "0") + 1);
    } catch (error) {
      failed = true;
      tick();
    } finally {
      running = false;
      // Read each time: a test may shorten it.
      timer = window.setTimeout(poll, Number(root.dataset.interval) || 10000);
    }
  };

  // Back to the tab (or the phone woken up): ask at once.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") poll();
  });

  window.setInterval(tick, 1000);
  poll();
})();
