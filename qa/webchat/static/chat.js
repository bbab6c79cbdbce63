// The browser chat: several LINE users, each with its own chat, fed by the server's event
// stream (what the bot sent to LINE, as LINE's JSON); taps and typing go to the server,
// which turns them into LINE webhook events.
"use strict";

(function () {
  const R = window.LineRender;
  const $ = (id) => document.getElementById(id);
  const state = {
    users: [],
    logs: {},
    unread: {},
    current: null,
    menus: {}, // rich menus by alias; each user's is named in state.users
    picker: null,
    busy: false,
  };

  // -- server calls ----------------------------------------------------------------------
  function userPath(name, what) {
    return "/webchat/api/users/" + encodeURIComponent(name) + "/" + what;
  }

  async function post(path, body) {
    const r = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try {
      data = await r.json();
    } catch (e) {
      data = {};
    }
    if (!r.ok) toast(data.error || "HTTP " + r.status);
    return { ok: r.ok, data };
  }

  async function act(what, body) {
    if (!state.current) return;
    state.busy = true;
    document.body.classList.add("busy");
    clearQuick();
    try {
      await post(userPath(state.current, what), body);
    } finally {
      state.busy = false;
      document.body.classList.remove("busy");
      refreshDemo();
    }
  }

  function onAction(action) {
    if (action.type === "datetimepicker") return openPicker(action);
    if (action.type === "uri" && action.uri) window.open(action.uri, "_blank", "noopener");
    act("tap", { action });
  }

  // -- the stream ------------------------------------------------------------------------
  function connect() {
    const es = new EventSource("/webchat/api/stream");
    es.onmessage = (ev) => receive(JSON.parse(ev.data));
  }

  function receive(e) {
    if (e.kind === "hello") {
      state.users = e.users;
      state.logs = e.logs;
      state.menus = e.menus || {};
      if (!state.current || !state.users.some((u) => u.name === state.current)) {
        state.current = state.users.length ? state.users[0].name : null;
      }
      $("demo-state").textContent = e.demo ? "on" : "off";
      drawMenu();
      drawUsers();
      drawChat();
      return;
    }
    if (e.kind === "users" || e.kind === "reset") {
      state.users = e.users;
      if (e.kind === "reset") {
        state.logs[e.user] = [];
        state.unread[e.user] = 0;
      }
      drawUsers();
      drawMenu();
      if (e.kind === "reset" && e.user === state.current) drawChat();
      else drawOverlay();
      return;
    }
    (state.logs[e.user] = state.logs[e.user] || []).push(e);
    if (e.user === state.current) {
      appendEntry(e, true);
      drawQuick();
      scrollDown();
    } else if (e.kind === "bot") {
      state.unread[e.user] = (state.unread[e.user] || 0) + 1;
      drawUsers();
    }
  }

  // -- users -----------------------------------------------------------------------------
  function currentUser() {
    return state.users.find((u) => u.name === state.current) || null;
  }

  function drawUsers() {
    const list = $("users");
    list.textContent = "";
    for (const u of state.users) {
      const li = R.el("li", "user" + (u.name === state.current ? " current" : ""));
      const b = R.el("button", "user-button");
      b.type = "button";
      b.dataset.user = u.name;
      b.appendChild(R.el("span", "user-avatar", u.name.slice(0, 1).toUpperCase()));
      const label = R.el("span", "user-name", u.name);
      if (u.script_name !== u.name) label.appendChild(R.el("small", "", " (" + u.script_name + ")"));
      b.appendChild(label);
      if (u.language && u.language !== "ja") b.appendChild(R.el("span", "tag", u.language.toUpperCase()));
      if (!u.following) b.appendChild(R.el("span", "tag muted", "not a friend"));
      const n = state.unread[u.name] || 0;
      if (n) b.appendChild(R.el("span", "badge", String(n)));
      b.addEventListener("click", () => selectUser(u.name));
      li.appendChild(b);
      list.appendChild(li);
    }
    const u = currentUser();
    $("block-user").textContent = !u || u.following ? "Block" : hasBlocked(u) ? "Unblock" : "Add friend";
    $("block-user").disabled = !u;
    $("user-language").value = (u && u.language) || "ja";
    $("user-language").disabled = !u;
    $("who").textContent = u ? "as " + u.name : "";
  }

  function selectUser(name) {
    state.current = name;
    state.unread[name] = 0;
    drawUsers();
    drawMenu();
    drawChat();
  }

  // -- the chat --------------------------------------------------------------------------
  function drawChat() {
    const box = $("messages");
    box.textContent = "";
    for (const e of state.logs[state.current] || []) appendEntry(e, false);
    drawQuick();
    drawOverlay();
    scrollDown();
  }

  function drawOverlay() {
    const u = currentUser();
    const o = $("overlay");
    if (!u || u.following) {
      o.classList.add("hidden");
      return;
    }
    const blocked = hasBlocked(u);
    $("overlay-text").textContent = blocked
      ? u.name + " has blocked the account."
      : u.name + " has not added the account as a friend yet.";
    $("overlay-button").textContent = blocked ? "Unblock" : "Add friend";
    o.classList.remove("hidden");
  }

  /** The user blocked the account (as opposed to never having added it): the last note says so. */
  function hasBlocked(u) {
    const notes = (state.logs[u.name] || []).filter((e) => e.kind === "note");
    return notes.length > 0 && notes[notes.length - 1].text.includes("blocked");
  }

  function scrollDown() {
    const box = $("messages");
    box.scrollTop = box.scrollHeight;
  }

  function appendEntry(e, live) {
    const box = $("messages");
    if (e.kind === "note" || e.kind === "menu") {
      box.appendChild(R.el("div", "note" + (e.kind === "menu" ? " menu-note" : ""), e.user + " " + e.text + " · " + e.time));
      return;
    }
    if (e.kind === "user") {
      const row = R.el("div", "row-msg mine");
      row.appendChild(R.el("span", "time", e.time));
      row.appendChild(R.el("div", "bubble mine", e.text));
      box.appendChild(row);
      return;
    }
    // what the bot sent: one LINE request (reply or push)
    const group = R.el("div", "bot-group" + (e.via === "push" ? " push" : ""));
    group.dataset.via = e.via;
    e.messages.forEach((m, i) => {
      const row = R.el("div", "row-msg theirs" + (m.type === "flex" || m.type === "template" ? " wide" : ""));
      if (i === 0) row.appendChild(R.el("div", "avatar", "M"));
      else row.appendChild(R.el("div", "avatar spacer"));
      const body = R.el("div", "msg-body");
      if (i === 0) body.appendChild(R.el("div", "sender", "Meguro City"));
      body.appendChild(R.message(m, onAction));
      row.appendChild(body);
      if (i === e.messages.length - 1) {
        const t = R.el("span", "time", e.time);
        if (e.via === "push") t.appendChild(R.el("span", "via", " push"));
        // beside a bubble, as LINE does; under a carousel, which takes the whole width
        (row.classList.contains("wide") ? body : row).appendChild(t);
      }
      group.appendChild(row);
    });
    if (e.warnings && e.warnings.length) {
      const w = R.el("div", "line-warning");
      const head = e.refused
        ? "LINE refused this " + e.via + " (400); the parent does not see it:"
        : "LINE would refuse this " + e.via + ":";
      w.appendChild(R.el("strong", "", head));
      const ul = R.el("ul");
      e.warnings.forEach((x) => ul.appendChild(R.el("li", "", x)));
      w.appendChild(ul);
      group.appendChild(w);
    }
    box.appendChild(group);
    if (live) group.classList.add("arrived");
  }

  // quick replies: shown while the latest message carries them (as LINE does)
  function lastMessage() {
    // a menu switch shows nothing in LINE's chat: the quick replies before it stay
    const log = (state.logs[state.current] || []).filter((x) => x.kind !== "menu");
    const e = log[log.length - 1];
    if (!e || e.kind !== "bot" || e.refused || !e.messages.length) return null;
    return e.messages[e.messages.length - 1];
  }

  function clearQuick() {
    $("quick").textContent = "";
    $("quick").classList.add("hidden");
  }

  function drawQuick() {
    clearQuick();
    const m = lastMessage();
    const items = m && m.quickReply ? m.quickReply.items || [] : [];
    if (!items.length) return;
    for (const item of items) $("quick").appendChild(R.actionButton(item.action || {}, "chip", onAction));
    $("quick").classList.remove("hidden");
  }

  // -- rich menu -------------------------------------------------------------------------
  // The menu LINE shows the current user, drawn as its image is: each area where its
  // bounds put it (fractions of the image), in its colours, its text in one size for all
  // areas, the largest at which every one fits (as `python -m bot richmenu` draws it).
  const GAP = 16; // pixels of the image between areas, and around them
  const RADIUS = 40;

  function currentMenu() {
    const u = currentUser();
    return (u && state.menus[u.menu]) || null;
  }

  // `bounds` (pixels of the image) as a box of `within` (pixels: width, height), less `inset`
  function place(node, bounds, within, inset) {
    node.style.left = (100 * (bounds.x + inset)) / within.width + "%";
    node.style.top = (100 * (bounds.y + inset)) / within.height + "%";
    node.style.width = (100 * (bounds.width - 2 * inset)) / within.width + "%";
    node.style.height = (100 * (bounds.height - 2 * inset)) / within.height + "%";
  }

  function menuText(text) {
    const t = R.el("span", "menu-text");
    for (const line of String(text || "").split("\n")) t.appendChild(R.el("span", "menu-line", line));
    return t;
  }

  // a coloured rounded rectangle with its text, as the image draws an area
  function tile(bounds, within, look, menu) {
    const t = R.el("span", "menu-tile");
    place(t, bounds, within, GAP);
    t.style.background = look.color;
    t.style.color = look.text_color;
    t.style.borderRadius = (100 * RADIUS) / menu.size.width + "cqw";
    t.appendChild(menuText(look.text));
    return t;
  }

  function drawMenu() {
    const nav = $("richmenu");
    nav.textContent = "";
    const m = currentMenu();
    nav.classList.toggle("hidden", !m);
    $("chatbar").classList.toggle("hidden", !m);
    $("menu-toggle").classList.toggle("hidden", !m);
    if (!m) return;
    nav.dataset.menu = m.alias;
    nav.style.aspectRatio = m.size.width + " / " + m.size.height;
    nav.style.background = m.background || "#FFFFFF";
    for (const d of m.decor || []) {
      // drawn in the image outside any area: LINE does nothing on a tap there
      const t = tile(d.bounds, m.size, d, m);
      t.classList.add("menu-decor");
      nav.appendChild(t);
    }
    for (const area of m.areas) {
      const a = area.action || {};
      // the area LINE answers is its whole bounds; the drawn tile sits inside with a gap
      const b = R.el("button", "menu-area");
      b.type = "button";
      b.dataset.actionType = a.type || "";
      if (area.inert) b.classList.add("inert");
      place(b, area.bounds, m.size, 0);
      const own = { x: 0, y: 0, width: area.bounds.width, height: area.bounds.height };
      if (area.strip) {
        // the back strip: edge to edge in its colour, an arrow and the label at the left
        b.classList.add("strip");
        const t = R.el("span", "menu-tile menu-strip");
        t.style.background = area.color;
        t.style.color = area.text_color;
        t.style.paddingLeft = (100 * Math.floor(area.bounds.height / 3)) / area.bounds.width + "%";
        t.appendChild(menuText(area.text));
        b.appendChild(t);
      } else {
        b.appendChild(tile(own, own, area, m));
      }
      b.addEventListener("click", () => onMenuArea(m, area));
      nav.appendChild(b);
    }
    if (m.standin) nav.appendChild(R.el("span", "standin-tag", "stand-in"));
    drawChatbar();
    fitMenu();
  }

  function drawChatbar() {
    const m = currentMenu();
    if (!m) return;
    const closed = document.body.classList.contains("menu-closed");
    $("chatbar").textContent = m.chatBarText + (closed ? " ▴" : " ▾");
  }

  // one font size for the areas' labels (and one per title): the largest that fits, in a
  // box of 86% by 80% of the tile, as the image's drawing does
  function fits(text) {
    const box = text.parentElement;
    return text.offsetWidth <= box.clientWidth * 0.86 && text.offsetHeight <= box.clientHeight * 0.8;
  }

  function fitGroup(nav, texts) {
    if (!texts.length) return;
    for (let size = Math.round(nav.clientWidth * 0.064); size >= 8; size -= 1) {
      for (const t of texts) t.style.fontSize = size + "px";
      if (texts.every(fits)) return;
    }
  }

  // the back strip's label: in one line, at most 40% of the strip's height, with a margin
  // of a third of that height at either end (as `python -m bot richmenu` draws it)
  function fitStrip(text) {
    const strip = text.parentElement;
    const margin = strip.clientHeight / 3;
    for (let size = Math.floor(strip.clientHeight * 0.4); size >= 8; size -= 1) {
      text.style.fontSize = size + "px";
      if (text.offsetWidth <= strip.clientWidth - 2 * margin) return;
    }
  }

  function fitMenu() {
    const nav = $("richmenu");
    if (!nav.clientWidth) return; // closed: fitted when opened
    fitGroup(nav, Array.from(nav.querySelectorAll(".menu-area:not(.strip) .menu-text")));
    for (const t of nav.querySelectorAll(".menu-strip .menu-text")) fitStrip(t);
    for (const t of nav.querySelectorAll(".menu-decor .menu-text")) fitGroup(nav, [t]);
  }

  function onMenuArea(menu, area) {
    const a = area.action || {};
    if (area.inert) return phoneToast(menu.inert_note || "not part of this demo");
    if (a.type === "richmenuswitch") return switchMenu(a);
    if (a.type === "message") return act("say", { text: a.text });
    if (a.type === "uri") {
      // LINE opens the link; the bot hears nothing
      if (a.uri) window.open(a.uri, "_blank", "noopener");
      return;
    }
    onAction(a);
  }

  async function switchMenu(action) {
    // LINE shows the other menu and sends the bot a postback; quick replies stay
    if (!state.current) return;
    document.body.classList.add("busy");
    try {
      await post(userPath(state.current, "switch"), { action });
    } finally {
      document.body.classList.remove("busy");
    }
  }

  function toggleMenu() {
    document.body.classList.toggle("menu-closed");
    drawChatbar();
    fitMenu();
  }

  let phoneToastTimer = null;
  function phoneToast(text) {
    const t = $("phone-toast");
    t.textContent = text;
    t.classList.remove("hidden");
    clearTimeout(phoneToastTimer);
    phoneToastTimer = setTimeout(() => t.classList.add("hidden"), 3500);
  }

  // -- date picker -----------------------------------------------------------------------
  function openPicker(action) {
    state.picker = action;
    const input = $("picker-date");
    input.min = (action.min || "").slice(0, 10);
    input.max = (action.max || "").slice(0, 10);
    input.value = (action.initial || action.max || "").slice(0, 10);
    $("picker-title").textContent = action.label || "";
    $("picker").classList.remove("hidden");
    input.focus();
  }

  function closePicker() {
    state.picker = null;
    $("picker").classList.add("hidden");
  }

  function pickDate() {
    const action = state.picker;
    const day = $("picker-date").value;
    if (!action || !day) return;
    const input = $("picker-date");
    if ((input.min && day < input.min) || (input.max && day > input.max)) {
      toast("choose a date from " + (input.min || "…") + " to " + (input.max || "…"));
      return;
    }
    closePicker();
    act("date", { action, date: day });
  }

  // -- demo panel ------------------------------------------------------------------------
  async function refreshDemo() {
    const r = await fetch("/webchat/api/demo");
    if (!r.ok) return;
    const d = await r.json();
    const data = $("demo-data");
    data.textContent = "";
    for (const line of d.demo) data.appendChild(R.el("li", "", line));
    if (!d.demo.length) data.appendChild(R.el("li", "muted", "none"));
    const w = $("waiting");
    w.textContent = "";
    for (const x of d.waiting) {
      const li = R.el("li", "waiting-row");
      const text = R.el("span", "", x.child + " — " + x.nursery + (x.interview_at ? " · interview " + x.interview_at.replace("T", " ").slice(0, 16) : " · no interview booked"));
      if (x.user) text.appendChild(R.el("small", "muted", " (" + x.user + ")"));
      li.appendChild(text);
      const b = R.el("button", "clear-button", "Interview done: clear");
      b.type = "button";
      b.addEventListener("click", async () => {
        b.disabled = true;
        const res = await post("/webchat/api/demo/clear", { nursery: x.nursery, child: x.child, birth_date: x.birth_date });
        if (res.ok) toast(res.data.result.notice || "cleared");
        refreshDemo();
      });
      li.appendChild(b);
      w.appendChild(li);
    }
    if (!d.waiting.length) w.appendChild(R.el("li", "muted", "nobody is waiting"));
  }

  async function runReplay(file) {
    const text = await file.text();
    $("replay-steps").textContent = "";
    $("replay-report").textContent = "running " + file.name + " …";
    $("replay-report").classList.remove("hidden");
    const r = await fetch("/webchat/api/replay?name=" + encodeURIComponent(file.name), { method: "POST", body: text });
    const d = await r.json();
    if (!r.ok) {
      $("replay-report").textContent = d.error || "HTTP " + r.status;
      return;
    }
    const setup = d.steps.filter((s) => s.where.startsWith("setup"));
    let shown = d.steps;
    if (setup.length > 3 && setup.every((s) => s.status === setup[0].status)) {
      // many set-up steps that went alike: one line for them
      const where = setup.length + " set-up steps";
      shown = [{ where, step: setup[0].step + " …", status: setup[0].status }].concat(
        d.steps.filter((s) => !s.where.startsWith("setup"))
      );
    }
    for (const s of shown) {
      const li = R.el("li", "step " + s.status.replace(" ", "-"));
      li.appendChild(R.el("span", "mark", s.status === "passed" ? "✓" : s.status === "failed" ? "✗" : "·"));
      li.appendChild(R.el("span", "", " " + s.where + ": " + s.step));
      li.title = s.where + ": " + s.step;
      $("replay-steps").appendChild(li);
    }
    $("replay-report").textContent = d.report;
    $("replay-report").classList.toggle("failed", !d.passed);
  }

  let toastTimer = null;
  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.classList.remove("hidden");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => t.classList.add("hidden"), 6000);
  }

  // -- wiring ----------------------------------------------------------------------------
  function wire() {
    $("composer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = $("text").value;
      if (!text.trim()) return;
      $("text").value = "";
      act("say", { text });
    });
    $("chatbar").addEventListener("click", toggleMenu);
    $("menu-toggle").addEventListener("click", toggleMenu);
    $("picker-cancel").addEventListener("click", closePicker);
    $("picker-ok").addEventListener("click", pickDate);
    $("overlay-button").addEventListener("click", () => act("follow"));
    $("block-user").addEventListener("click", () => {
      const u = currentUser();
      if (u) act(u.following ? "unfollow" : "follow");
    });
    $("user-language").addEventListener("change", (ev) => act("language", { language: ev.target.value }));
    $("reset-user").addEventListener("click", () => {
      if (state.current) post(userPath(state.current, "reset"));
    });
    $("add-user").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const name = $("new-user").value.trim();
      if (!name) return;
      const r = await post("/webchat/api/users", { name });
      if (r.ok) {
        $("new-user").value = "";
        selectUser(name);
      }
    });
    $("save-replay").addEventListener("click", async (ev) => {
      ev.preventDefault();
      const r = await fetch("/webchat/api/replay.yaml");
      if (!r.ok) {
        toast("nothing to save yet: talk to the bot first");
        return;
      }
      const name = (r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(await r.blob());
      a.download = name ? name[1] : "webchat.yaml";
      document.body.appendChild(a);
      a.click();
      a.remove();
    });
    $("replay-file").addEventListener("change", (ev) => {
      const f = ev.target.files[0];
      if (f) runReplay(f);
      ev.target.value = "";
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    wire();
    connect();
    refreshDemo();
  });
})();
