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
      const code = (tag || "").slice(0, 2).toLowerCase();
      if (strings[code]) return code;
    }
    return "en";
  }

  function quickExit() {
    try { if (source) source.close(); } catch (e) { /* leaving anyway */ }
    try { sessionStorage.clear(); } catch (e) { /* leaving anyway */ }
    document.title = "";
    document.body.textContent = "";
    location.replace(config.quickExitUrl);
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

  function connect(id) {
    // EventSource sends Last-Event-ID itself when it reconnects: nothing is lost or repeated.
    source = new EventSource("/webchat/events?conversation_id=" + id);
    source.addEventListener("message", (event) => {
      status("");
      const message = JSON.parse(event.data);
      show(message.from, message.text);
    });
    source.addEventListener("error", () => status(strings.reconnecting));
    source.addEventListener("open", () => status(""));
  }

  async function send(id, text) {
    const body = JSON.stringify({ conversation_id: id, client_id: randomHex(12), text: text });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const response = await fetch("/webchat/messages", {
          method: "POST", headers: { "Content-Type": "application/json" }, body: body,
          credentials: "omit", cache: "no-store",
        });
        if (response.status === 429) { status(strings.tooFast); return false; }
        if (response.status === 503) { status(strings.busy); return false; }
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
    const id = conversationId();
    const input = document.getElementById("text");
    input.setAttribute("maxlength", String(config.maxChars));
    document.getElementById("composer").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) { status(strings.empty); return; }
      if (await send(id, text)) input.value = "";
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
    connect(id);
    input.focus();
  }

  start();
})();
