// Counselor console: the live queue and the live transcript. Text is always set with
// textContent, never as HTML; nothing is kept in the browser's storage.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const PRIORITY = { 1: "Danger", 2: "Child", 3: "Signs", 4: "Asked for a person", 5: "Other" };

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

  function riskCell(item) {
    const cell = el("td");
    if (item.danger) cell.appendChild(el("span", "Danger", "badge p1"));
    if (item.child_mentioned) cell.appendChild(el("span", "Child", "badge p2"));
    return cell;
  }

  function chipsCell(item) {
    const cell = el("td");
    const list = el("ul", null, "chips");
    item.indicators.forEach((name) => list.appendChild(el("li", name, "chip")));
    cell.appendChild(list);
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
      const badge = el("td");
      badge.appendChild(el("span", PRIORITY[item.priority], "badge p" + item.priority));
      row.appendChild(badge);
      row.appendChild(el("td", minutes(item.waited_seconds + elapsed)));
      row.appendChild(el("td", item.language + (item.in_my_language ? "" : " (not one of yours)")));
      row.appendChild(el("td", item.channel));
      row.appendChild(riskCell(item));
      row.appendChild(chipsCell(item));
      const actions = el("td");
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
      const badge = el("td");
      badge.appendChild(el("span", PRIORITY[item.priority], "badge p" + item.priority));
      row.appendChild(badge);
      row.appendChild(el("td", item.language));
      row.appendChild(el("td", item.channel));
      row.appendChild(riskCell(item));
      row.appendChild(chipsCell(item));
      const open = el("a", "Open");
      open.href = "/console/conversations/" + item.id;
      const cell = el("td");
      cell.appendChild(open);
      row.appendChild(cell);
      mine.appendChild(row);
    });
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
    root.dataset.version = data.version;
  }

  function liveQueue(root) {
    let data = JSON.parse(root.dataset.queue);
    let receivedAt = Date.now();
    renderQueue(root, data, receivedAt);
    const status = document.getElementById("live-status");
    const source = new EventSource("/console/queue/events");
    source.addEventListener("queue", (event) => {
      data = JSON.parse(event.data);
      receivedAt = Date.now();
      renderQueue(root, data, receivedAt);
      status.textContent = "";
    });
    source.addEventListener("error", () => { status.textContent = "Reconnecting to the live queue…"; });
    // The session ended (signed out elsewhere, disabled, timed out): the page shows the sign-in.
    source.addEventListener("ended", () => { source.close(); location.reload(); });
    setInterval(() => renderQueue(root, data, receivedAt), 15000);
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
    if (entry.out) {
      item.dataset.out = entry.out;
      item.appendChild(el("span", entry.delivery, "delivery"));
      markDelivery(item, entry.status);
    }
    return item;
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
    source.addEventListener("delivery", (event) => {
      const change = JSON.parse(event.data);
      const item = list.querySelector('li[data-out="' + Number(change.out) + '"]');
      if (!item) return;
      item.querySelector(".delivery").textContent = change.delivery;
      markDelivery(item, change.status);
    });
    source.addEventListener("state", () => { source.close(); location.reload(); });
    // No longer this counselor's (or the session ended): reloading shows what they may see now.
    source.addEventListener("ended", () => { source.close(); location.reload(); });
  }

  function cannedResponses(select) {
    select.addEventListener("change", () => {
      const target = document.getElementById(select.dataset.target);
      if (select.value) target.value = select.value;
      select.value = "";
      target.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const queue = document.getElementById("queue");
    if (queue) liveQueue(queue);
    const transcript = document.getElementById("transcript");
    if (transcript) liveTranscript(transcript);
    const canned = document.getElementById("canned");
    if (canned) cannedResponses(canned);
  });
})();
