// The help line's web chat. Everything is inserted as text (textContent), never as HTML.
// No cookies and no persistent storage: one random conversation id per tab, in sessionStorage only.
"use strict";
(function () {
  const RTL = new Set(["ar", "fa", "ur", "he", "ps"]);
  const KEY = "hotline.conversation";
  let config = { quickExitUrl: "about:blank", maxChars: 1000 };
  let strings = {};
  let source = null;

  function randomHex(bytes) {
    const data = new Uint8Array(bytes);
    crypto.getRandomValues(data);
    return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function conversationId() {
    let id = sessionStorage.getItem(KEY);
    if (!/^[0-9a-f]{32}$/.test(id || "")) {
      id = randomHex(16);
      sessionStorage.setItem(KEY, id);
    }
    return id;
  }

  function language() {
    const asked = new URLSearchParams(location.search).get("lang");
    const candidates = [asked, ...(navigator.languages || [navigator.language])];
    for (const tag of candidates) {
      const lowered = (tag || "").toLowerCase();
      const code = lowered.startsWith("fil") ? "tl" : lowered.slice(0, 2);  // Filipino browsers say "fil"
      if (strings[code]) return code;
    }
    return "en";
  }

  function quickExit() {
    try {  // the id opens nothing any more, whoever finds it (sent without waiting for an answer)
      const id = sessionStorage.getItem(KEY);
      if (id) navigator.sendBeacon("/webchat/end", new Blob([JSON.stringify({ conversation_id: id })], { type: "application/json" }));
    } catch (e) { /* leaving anyway */ }
    try { if (source) source.close(); } catch (e) { /* leaving anyway */ }
    try { sessionStorage.clear(); } catch (e) { /* leaving anyway */ }
    document.title = "";
    document.body.textContent = "";
    // Embedded on another site: the whole page must go, not only this frame (embed.js does it).
    // The frame stays put a moment so the host can still tell the message came from it (a frame
    // that has already navigated away is no longer its sender); then it leaves too, in case the
    // host page does not listen.
    let embedded = false;
    try {
      if (window.parent !== window) {
        window.parent.postMessage({ type: "hotline:quick-exit", url: config.quickExitUrl }, "*");
        embedded = true;
      }
    } catch (e) { /* leaving anyway */ }
    if (embedded) setTimeout(() => location.replace(config.quickExitUrl), 300);
    else location.replace(config.quickExitUrl);
  }

  function status(text) {
    document.getElementById("status").textContent = text || "";
  }

  function show(from, text) {
    const item = document.createElement("li");
    item.className = "msg " + (from === "person" ? "person" : from === "counselor" ? "counselor" : "bot");
    item.setAttribute("dir", "auto");
    if (from === "counselor") {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = strings.counselor;
      item.appendChild(who);
      item.appendChild(document.createTextNode(text));
    } else {
      item.textContent = text;
    }
    document.getElementById("log").appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  let lastEventId = "";

  async function streamToken(id) {
    try {
      const response = await fetch("/webchat/stream-token", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ conversation_id: id }), credentials: "omit", cache: "no-store",
      });
      if (response.status === 410) return "gone";
      return response.ok ? (await response.json()).token : null;
    } catch (e) {
      return null;
    }
  }

  // The conversation was ended (End chat, another tab) or expired: a new one, on a clean page.
  function startAfresh(notice) {
    if (source) source.close();
    sessionStorage.removeItem(KEY);
    lastEventId = "";
    document.getElementById("log").textContent = "";
    status(notice || "");
  }

  // Follows the conversation with a short-lived token (the id itself never goes in a URL); a new
  // token when the old one has expired. EventSource resends Last-Event-ID on its own reconnects;
  // after a new token, "after" says where to resume: nothing is lost or repeated.
  async function connect() {
    if (source) source.close();
    const token = await streamToken(conversationId());
    if (token === "gone") { startAfresh(strings.ended); return connect(); }
    if (!token) { status(strings.reconnecting); setTimeout(connect, 3000); return; }
    const resume = lastEventId ? "&after=" + encodeURIComponent(lastEventId) : "";
    source = new EventSource("/webchat/events?token=" + encodeURIComponent(token) + resume);
    source.addEventListener("message", (event) => {
      status("");
      lastEventId = event.lastEventId || lastEventId;
      const message = JSON.parse(event.data);
      show(message.from, message.text);
    });
    source.addEventListener("ended", () => { startAfresh(strings.ended); connect(); });
    source.addEventListener("error", () => {
      status(strings.reconnecting);
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
    });
    source.addEventListener("open", () => status(""));
  }

  function endChat() {
    const id = sessionStorage.getItem(KEY);
    if (id) {
      fetch("/webchat/end", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ conversation_id: id }), credentials: "omit", cache: "no-store", keepalive: true,
      }).catch(() => {});
    }
    startAfresh(strings.ended);
    connect();
  }

  async function send(text, retried) {
    const body = JSON.stringify({ conversation_id: conversationId(), client_id: randomHex(12), text: text });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const response = await fetch("/webchat/messages", {
          method: "POST", headers: { "Content-Type": "application/json" }, body: body,
          credentials: "omit", cache: "no-store",
        });
        if (response.status === 429) { status(strings.tooFast); return false; }
        if (response.status === 503) { status(strings.busy); return false; }
        if (response.status === 410 && !retried) {  // ended or expired: the message starts a new chat
          startAfresh();
          connect();
          return send(text, true);
        }
        if (response.status === 413) { status(strings.tooLong); return false; }
        if (response.ok) return true;
        status(strings.failed);
        return false;
      } catch (e) {
        await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
      }
    }
    status(strings.failed);
    return false;
  }

  function applyLanguage(code) {
    const t = strings[code];
    document.documentElement.lang = code;
    document.documentElement.dir = RTL.has(code) ? "rtl" : "ltr";
    document.title = t.title;
    document.getElementById("title").textContent = t.title;
    document.getElementById("quick-exit").textContent = t.quickExit;
    document.getElementById("safety").textContent = t.safety;
    document.getElementById("text-label").textContent = t.label;
    document.getElementById("text").setAttribute("placeholder", t.placeholder);
    document.getElementById("send").textContent = t.send;
    document.getElementById("end-chat").textContent = t.endChat;
    document.getElementById("log").setAttribute("aria-label", t.log);
    strings = t;
  }

  async function start() {
    document.getElementById("quick-exit").addEventListener("click", quickExit);
    document.addEventListener("keydown", (event) => { if (event.key === "Escape") quickExit(); });
    const [ui, settings] = await Promise.all([
      fetch("/chat/ui.json", { credentials: "omit" }).then((r) => r.json()),
      fetch("/chat/config.json", { credentials: "omit", cache: "no-store" }).then((r) => r.json()),
    ]);
    config = settings;
    strings = ui;
    applyLanguage(language());
    const input = document.getElementById("text");
    input.setAttribute("maxlength", String(config.maxChars));
    document.getElementById("composer").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) { status(strings.empty); return; }
      if (await send(text, false)) input.value = "";
      // Back to the text box, unless the person has moved on meanwhile (to Quick exit, say):
      // a slow answer must never pull the focus away from the way out.
      const composer = document.getElementById("composer");
      if (document.activeElement === document.body || composer.contains(document.activeElement)) input.focus();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        document.getElementById("composer").requestSubmit();
      }
    });
    document.getElementById("end-chat").addEventListener("click", endChat);
    connect();
    input.focus();
    document.body.dataset.ready = "true";  // configuration loaded (until then Quick exit goes to about:blank)
  }

  start();
})();
