// Counselor console: the live queue and the live transcript. Text is always set with
// textContent, never as HTML; nothing is kept in the browser's storage.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const PRIORITY = { 1: "Danger", 2: "Child or concern", 3: "Signs", 4: "Asked for a person", 5: "Other" };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function minutes(seconds) {
    return seconds < 60 ? "under 1 min" : Math.floor(seconds / 60) + " min";
  }

  function postButton(action, label) {
    const form = el("form");
    form.method = "post";
    form.action = action;
    form.className = "inline";
    const token = el("input");
    token.type = "hidden";
    token.name = "csrf";
    token.value = csrf;
    form.appendChild(token);
    form.appendChild(el("button", label));
    return form;
  }

  function evidenceCell(item) {
    const cell = el("td", null, "evidence");
    if (item.evidence.length) {
      item.evidence.forEach((words, index) => {
        if (index) cell.appendChild(document.createTextNode(" · "));
        const mark = el("q", words);
        mark.setAttribute("dir", "auto");
        cell.appendChild(mark);
      });
    } else {
      cell.appendChild(el("span", "(no words quoted)", "quiet"));
    }
    if (item.child_mentioned) cell.appendChild(el("span", "Child mentioned", "badge p2"));
    if (item.returning) cell.appendChild(el("span", "Returning", "badge returning"));
    return cell;
  }

  function chipsCell(item) {
    const cell = el("td");
    const list = el("ul", null, "chips");
    item.indicators.forEach((name) => list.appendChild(el("li", name, "chip")));
    cell.appendChild(list);
    return cell;
  }

  function waitCell(item, elapsed) {
    const waited = item.waited_seconds + elapsed;
    const cell = el("td", null, "wait");
    cell.appendChild(el("span", minutes(waited)));
    if (item.wait_target_seconds) {
      const over = waited > item.wait_target_seconds;
      cell.appendChild(el("span", (over ? "over " : "target ") + minutes(item.wait_target_seconds), over ? "target over" : "target"));
      if (over) cell.classList.add("late");
    }
    return cell;
  }

  function priorityCell(item) {
    const cell = el("td");
    cell.appendChild(el("span", PRIORITY[item.priority], "badge p" + item.priority));
    return cell;
  }

  function renderQueue(root, data, receivedAt) {
    const waiting = document.getElementById("waiting");
    const mine = document.getElementById("mine");
    const elapsed = (Date.now() - receivedAt) / 1000;
    waiting.replaceChildren();
    data.waiting.forEach((item) => {
      const row = el("tr");
      row.dataset.id = item.id;
      row.dataset.priority = item.priority;
      row.appendChild(priorityCell(item));
      row.appendChild(evidenceCell(item));
      row.appendChild(waitCell(item, elapsed));
      row.appendChild(el("td", item.language + (item.in_my_language ? "" : " (not one of yours)")));
      row.appendChild(el("td", item.channel));
      row.appendChild(chipsCell(item));
      const actions = el("td", null, "actions");
      const preview = el("a", "Preview");
      preview.href = "/console/conversations/" + item.id + "/preview";
      actions.appendChild(preview);
      actions.appendChild(postButton("/console/conversations/" + item.id + "/claim", "Take"));
      row.appendChild(actions);
      waiting.appendChild(row);
    });
    if (!data.waiting.length) {
      const row = el("tr");
      const cell = el("td", "Nobody is waiting.");
      cell.colSpan = 7;
      row.appendChild(cell);
      waiting.appendChild(row);
    }
    mine.replaceChildren();
    data.mine.forEach((item) => {
      const row = el("tr");
      row.appendChild(priorityCell(item));
      row.appendChild(evidenceCell(item));
      row.appendChild(el("td", item.language));
      row.appendChild(el("td", item.channel));
      row.appendChild(chipsCell(item));
      const open = el("a", "Open");
      open.href = "/console/conversations/" + item.id;
      const cell = el("td");
      cell.appendChild(open);
      row.appendChild(cell);
      mine.appendChild(row);
    });
    if (!data.mine.length) {
      const row = el("tr");
      const cell = el("td", "None yet.", "quiet");
      cell.colSpan = 6;
      row.appendChild(cell);
      mine.appendChild(row);
    }
    document.getElementById("waiting-count").textContent = "(" + data.total + ")";
    if (data.total > data.waiting.length) {
      const row = el("tr");
      const cell = el("td", (data.total - data.waiting.length) + " more, less urgent or newer: take these first.");
      cell.colSpan = 7;
      row.appendChild(cell);
      waiting.appendChild(row);
    }
    document.getElementById("hidden-note").textContent = data.hidden
      ? data.hidden + " more waiting in languages you do not answer in; they come to you if nobody else takes them."
      : "";
    const dangers = data.waiting.filter((item) => item.priority === 1).length;
    document.title = (dangers ? "(" + dangers + " danger) " : "") + baseTitle;
    root.dataset.version = data.version;
  }

  const baseTitle = document.title;

  // A new danger row: said in the page (a screen reader hears it), the tab title, a short tone
  // (unless the counselor turned it off) and a desktop notification where allowed. The
  // notification carries no words of the person: it may show on a locked screen.
  function Announcer(soundOn) {
    let audio = null;
    this.soundOn = soundOn;
    this.tone = () => {
      try {
        audio = audio || new (window.AudioContext || window.webkitAudioContext)();
        [0, 0.25].forEach((start) => {
          const osc = audio.createOscillator();
          const gain = audio.createGain();
          osc.frequency.value = 880;
          gain.gain.setValueAtTime(0.0001, audio.currentTime + start);
          gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + start + 0.02);
          gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + start + 0.18);
          osc.connect(gain).connect(audio.destination);
          osc.start(audio.currentTime + start);
          osc.stop(audio.currentTime + start + 0.2);
        });
        document.body.dataset.lastTone = String(Date.now());
      } catch (error) { /* no audio device: the page and the title still say it */ }
    };
    this.announce = (count, first) => {
      const text = count === 1
        ? "New danger waiting: " + first.language + ", " + first.channel + "."
        : count + " new dangers waiting.";
      document.getElementById("announce").textContent = text;
      if (this.soundOn) this.tone();
      if (window.Notification && Notification.permission === "granted") {
        try { new Notification("Hotline: danger waiting", { body: text, tag: "danger-" + Date.now() }); } catch (error) { /* some browsers only notify from a service worker */ }
      }
    };
  }

  function liveQueue(root) {
    let data = JSON.parse(root.dataset.queue);
    let receivedAt = Date.now();
    const announcer = new Announcer(Boolean(data.alert_sound));
    const seen = new Set(data.waiting.map((item) => item.id));
    renderQueue(root, data, receivedAt);
    const status = document.getElementById("live-status");
    const source = new EventSource("/console/queue/events");
    source.addEventListener("queue", (event) => {
      data = JSON.parse(event.data);
      receivedAt = Date.now();
      const fresh = data.waiting.filter((item) => item.priority === 1 && !seen.has(item.id));
      data.waiting.forEach((item) => seen.add(item.id));
      renderQueue(root, data, receivedAt);
      if (fresh.length) announcer.announce(fresh.length, fresh[0]);
      status.textContent = "";
    });
    source.addEventListener("error", () => { status.textContent = "Reconnecting to the live queue…"; });
    // The session ended (signed out elsewhere, disabled, timed out): the page shows the sign-in.
    source.addEventListener("ended", () => { source.close(); location.reload(); });
    setInterval(() => renderQueue(root, data, receivedAt), 15000);
    soundToggle(announcer);
    notificationButton();
  }

  function soundToggle(announcer) {
    const button = document.getElementById("alert-sound");
    button.addEventListener("click", async () => {
      const on = !announcer.soundOn;
      const body = new URLSearchParams({ on: on ? "yes" : "no" });
      const answer = await fetch("/console/preferences/alert-sound", { method: "POST", body, headers: { "X-CSRF-Token": csrf } });
      if (!answer.ok) return;
      announcer.soundOn = on;
      button.setAttribute("aria-pressed", String(on));
      button.textContent = "Sound for a new danger: " + (on ? "on" : "off");
      if (on) announcer.tone(); // (a click also lets the browser play sound later)
    });
  }

  function notificationButton() {
    const button = document.getElementById("allow-notifications");
    if (!window.Notification || Notification.permission !== "default") return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      await Notification.requestPermission();
      button.hidden = true;
    });
  }

  function transcriptEntry(entry) {
    const labels = { person: "Person", bot: "Bot", counselor: "Counselor", line: "Line notice" };
    const item = el("li", null, "entry " + entry.kind);
    item.appendChild(el("span", labels[entry.kind] || entry.kind, "who"));
    item.appendChild(el("time", entry.at));
    const text = el("span", entry.text, "text");
    text.setAttribute("dir", "auto");
    item.appendChild(text);
    entry.media.forEach((kind) => item.appendChild(el("span", "[" + kind + " attached]", "media")));
    if (entry.original) {
      const original = el("span", null, "original");
      original.appendChild(el("span", "Sent machine-translated. Written (" + entry.original_language + "):", "mt-label"));
      original.appendChild(document.createTextNode(" "));
      original.appendChild(el("span", entry.original, "original-text"));
      item.appendChild(original);
    }
    if (entry.in) {
      item.dataset.in = entry.in;
      if (entry.translation) showTranslation(item, entry.translation);
      else if (entry.translating) item.appendChild(el("span", "Machine translation: translating…", "translation pending"));
    }
    if (entry.out) {
      item.dataset.out = entry.out;
      item.appendChild(el("span", entry.delivery, "delivery"));
      markDelivery(item, entry.status);
    }
    return item;
  }

  // A person's message machine-translated for the counselor (or why it is not), under the original.
  function showTranslation(item, translation) {
    const old = item.querySelector(".translation");
    if (old) old.remove();
    let node;
    if (translation.text) {
      node = el("span", null, "translation");
      node.appendChild(el("span", "Machine translation (" + translation.language + "):", "mt-label"));
      node.appendChild(document.createTextNode(" "));
      const text = el("span", translation.text, "mt-text");
      text.setAttribute("dir", "auto");
      node.appendChild(text);
    } else {
      node = el("span", "No machine translation: " + translation.problem, "translation failed");
    }
    item.appendChild(node);
  }

  function markDelivery(item, status) {
    const bad = ["failed", "undelivered", "suppressed"].includes(status);
    item.querySelector(".delivery").className = "delivery" + (bad ? " bad" : "");
  }

  function liveTranscript(list) {
    const cursor = JSON.parse(list.dataset.cursor);
    const source = new EventSource(list.dataset.events + "?after=" + cursor.in + ":" + cursor.out);
    source.addEventListener("entry", (event) => {
      list.appendChild(transcriptEntry(JSON.parse(event.data)));
      list.lastChild.scrollIntoView({ block: "nearest" });
    });
    source.addEventListener("translation", (event) => {
      const translation = JSON.parse(event.data);
      const item = list.querySelector('li[data-in="' + Number(translation.in) + '"]');
      if (item) showTranslation(item, translation);
    });
    source.addEventListener("delivery", (event) => {
      const change = JSON.parse(event.data);
      const item = list.querySelector('li[data-out="' + Number(change.out) + '"]');
      if (!item) return;
      item.querySelector(".delivery").textContent = change.delivery;
      markDelivery(item, change.status);
    });
    // A new danger in the queue while this conversation is open: said here too (the page, the
    // title, the tone, a notification), with the way to the queue.
    const announcer = new Announcer(list.dataset.alertSound === "true");
    source.addEventListener("danger", (event) => {
      const danger = JSON.parse(event.data);
      announcer.announce(danger.count, danger);
      document.getElementById("to-queue").hidden = false;
      document.title = "(" + danger.waiting + " danger) " + baseTitle;
    });
    // The conversation changed hands or ended (or the session did): reloading shows what they may
    // see now. Not when it was this page's own form (close, return, transfer): that page is on its way.
    let leaving = false;
    document.addEventListener("submit", () => { leaving = true; });
    const reload = () => { source.close(); if (!leaving) location.reload(); };
    source.addEventListener("state", reload);
    source.addEventListener("ended", reload);
  }

  // A canned reply is inserted by the Insert button (or Enter on the list), so choosing with the
  // arrow keys never overwrites what the counselor wrote.
  function cannedResponses(select) {
    const insert = () => {
      const target = document.getElementById(select.dataset.target);
      if (!select.value) return;
      target.value = select.value;
      select.value = "";
      target.focus();
      // With translation on, a canned reply is already in the person's language: it goes as written.
      const canned = document.getElementById("reply-canned");
      if (canned) {
        canned.value = "1";
        document.getElementById("reply-translation").value = "";
        document.getElementById("translation-status").textContent = "A canned reply in their language: it goes as written, untranslated.";
      }
    };
    document.getElementById("insert-canned").addEventListener("click", insert);
    select.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); insert(); }
    });
  }

  // Translation of the counselor's draft into the person's language, to check and edit before
  // sending: asked for when they pause typing or press Translate. An edit of the translation is
  // never overwritten by a later draft unless they press Translate again.
  function replyTranslation(button) {
    const form = button.form;
    const source = document.getElementById("reply-text");
    const target = document.getElementById("reply-translation");
    const status = document.getElementById("translation-status");
    const canned = document.getElementById("reply-canned");
    let edited = false;
    let timer = null;
    let asked = 0;
    target.addEventListener("input", () => { edited = target.value !== ""; });
    const translate = async (force) => {
      const text = source.value.trim();
      if (canned.value === "1" || !text) return;
      if (edited && !force) {
        status.textContent = "You edited the translation: press Translate to replace it with a new one.";
        return;
      }
      const ticket = ++asked;
      status.textContent = "Translating…";
      try {
        const answer = await fetch(button.dataset.url, {
          method: "POST",
          credentials: "same-origin",
          body: new URLSearchParams({ csrf: form.elements.csrf.value, text: text }),
        }).then((r) => r.json());
        if (ticket !== asked) return; // a newer draft was sent meanwhile
        if (answer.text) {
          target.value = answer.text;
          edited = false;
          status.textContent = "Machine translation: check it and edit it if needed.";
        } else {
          status.textContent = "No translation: " + (answer.problem || answer.error) + ". Send as written, or a canned reply in their language.";
        }
      } catch (e) {
        if (ticket === asked) status.textContent = "No translation (the console did not answer). Send as written, or a canned reply in their language.";
      }
    };
    button.addEventListener("click", () => translate(true));
    source.addEventListener("input", () => {
      canned.value = "";
      clearTimeout(timer);
      timer = setTimeout(() => translate(false), 700);
    });
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  // Keys for a busy shift (never while typing in a field): n takes the next conversation on the
  // queue, or writes a note in a conversation; r reply; c canned replies; f finish; q the queue.
  // Ctrl+Enter (or Cmd+Enter) sends the text being written; Escape leaves a field.
  function shortcuts() {
    const focus = (id) => {
      const node = document.getElementById(id);
      if (!node) return false;
      node.scrollIntoView({ block: "center" });
      node.focus();
      return true;
    };
    document.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && event.target.matches("textarea")) {
        event.preventDefault();
        event.target.form.requestSubmit();
        return;
      }
      if (event.key === "Escape" && typing(event.target)) {
        event.target.blur(); // leave the field: the keys below work again
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      const onQueue = document.getElementById("queue") !== null;
      const actions = {
        n: () => (onQueue ? document.getElementById("take-next") && document.getElementById("take-next").form.requestSubmit() : focus("note-text")),
        r: () => focus("reply-text"),
        c: () => focus("canned"),
        f: () => focus("outcome"),
        q: () => { location.href = "/console/queue"; },
      };
      const act = actions[event.key];
      if (act) {
        event.preventDefault();
        act();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const queue = document.getElementById("queue");
    if (queue) liveQueue(queue);
    const transcript = document.getElementById("transcript");
    if (transcript) liveTranscript(transcript);
    const canned = document.getElementById("canned");
    if (canned) cannedResponses(canned);
    const translateReply = document.getElementById("translate-reply");
    if (translateReply) replyTranslation(translateReply);
    shortcuts();
  });
})();
