// Embeds the help line's chat on another site: <script src="https://HOTLINE/chat/embed.js" async></script>
// The chat runs in an iframe from the help line's own origin, so the host page cannot read it.
"use strict";
(function () {
  const script = document.currentScript;
  const origin = new URL(script.src).origin;
  const frame = document.createElement("iframe");
  frame.src = origin + "/chat" + (script.dataset.lang ? "?lang=" + encodeURIComponent(script.dataset.lang) : "");
  frame.title = script.dataset.title || "Help line chat";
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.style.cssText = "width:100%;max-width:420px;height:560px;border:1px solid #ccc;border-radius:8px";
  script.parentNode.insertBefore(frame, script);
  // Quick exit inside the chat leaves the host page too (only the chat's own frame may ask).
  window.addEventListener("message", (event) => {
    // From the chat's own origin, and from its frame (or from a frame that has just navigated
    // away, whose sender is then gone): a quick exit must never be lost to that race.
    if (event.origin !== origin || (event.source !== frame.contentWindow && event.source !== null)) return;
    if (!event.data || event.data.type !== "hotline:quick-exit") return;
    const target = String(event.data.url || "");
    frame.remove();
    document.title = "";
    window.location.replace(/^(https?:|about:blank)/.test(target) ? target : "about:blank");
  });
})();
