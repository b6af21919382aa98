// The chat page's streaming. A form with data-stream="URL" posts to that URL with fetch
// and shows the assistant's reply piece by piece as the server-sent events arrive, then
// takes the plan cards and the conversation list from the conversation's page. Without
// this file, or when the server refuses the message, the form posts as usual and the
// server redirects back (or shows why, with the message kept).
(function () {
  "use strict";

  function bubble(role, who, text) {
    // Text nodes only: a reply quotes notes and goals, which are untrusted.
    var item = document.createElement("li");
    item.className = "msg " + role;
    var label = document.createElement("span");
    label.className = "who";
    label.textContent = who;
    item.appendChild(label);
    item.appendChild(document.createTextNode(text));
    return item;
  }

  // Reads "event:"/"data:" blocks (EventSource cannot POST or carry the CSRF field).
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (result) {
        if (result.done) return;
        buffer = (buffer + decoder.decode(result.value, { stream: true })).replace(/\r\n/g, "\n");
        var boundary;
        while ((boundary = buffer.indexOf("\n\n")) !== -1) {
          var block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          var name = "message";
          var data = [];
          block.split("\n").forEach(function (line) {
            if (line.indexOf("event:") === 0) name = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
          });
          if (data.length) onEvent(name, JSON.parse(data.join("\n")));
        }
        return pump();
      });
    }
    return pump();
  }

  // The conversation's page as the server renders it replaces this one, except the log,
  // which keeps the bubbles just streamed (a screen reader has already heard them) and
  // gains the plan cards the reply left.
  function refresh(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector(".chat-page");
        var current = document.querySelector(".chat-page");
        var log = document.getElementById("chat-log");
        if (!fresh || !current || !log) { window.location.assign(url); return; }
        fresh = document.importNode(fresh, true);
        fresh.querySelectorAll("[data-plan-region]").forEach(function (region) {
          var old = document.getElementById(region.id);
          var anchor = document.getElementById(region.getAttribute("data-after"));
          if (old) old.replaceWith(region);
          else if (anchor) anchor.after(region);
        });
        var list = document.getElementById("conversations");
        var freshList = fresh.querySelector("#conversations");
        // The list stays as the person left it; a new conversation's page starts closed.
        if (list && freshList && window.location.pathname === url) freshList.open = list.open;
        fresh.querySelector("#chat-log").replaceWith(log);
        current.replaceWith(fresh);
        if (window.location.pathname !== url) {
          // A new conversation: from now on this page is that conversation's page.
          window.history.replaceState(null, "", url);
          document.title = doc.title;
        }
        if (window.tandemBind) window.tandemBind(fresh);
        bind(fresh);
        var box = document.getElementById("message");
        if (box) box.focus();
      });
  }

  function stream(form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.TextDecoder || !window.DOMParser) return;
      event.preventDefault();
      var log = document.getElementById("chat-log");
      var button = form.querySelector("button[type=submit]");
      var started = null;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      fetch(form.getAttribute("data-stream"), {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "text/event-stream" },
      }).then(function (response) {
        var type = response.headers.get("content-type") || "";
        if (!response.ok || type.indexOf("text/event-stream") !== 0 || !response.body) {
          // Refused before anything was saved (empty, too long, an expired form): the
          // plain post shows the page with the reason and the message kept.
          form.submit();
          return null;
        }
        var text = null;
        var done = null;
        return readEvents(response, function (name, payload) {
          if (name === "start") {
            started = payload;
            var empty = document.getElementById("chat-empty");
            if (empty) empty.remove();
            log.setAttribute("aria-busy", "true");
            log.appendChild(bubble("user", "You", payload.user));
            var reply = bubble("assistant", "Assistant · " + payload.assistant, "");
            reply.setAttribute("data-streaming", "");
            log.appendChild(reply);
            text = reply.lastChild;
            form.reset();
            reply.scrollIntoView({ block: "nearest" });
          } else if (name === "chunk" && text) {
            text.appendData(payload);
          } else if (name === "done") {
            done = payload;
            var streamed = log.querySelector("[data-streaming]");
            streamed.removeAttribute("data-streaming");
            streamed.id = "m-" + payload.message_id;
          }
        }).then(function () {
          log.removeAttribute("aria-busy");
          if (done) return refresh(done.url);
          if (started) window.location.assign(started.url);
          return null;
        });
      }).catch(function () {
        // Once the stream started the message is saved: show the page, never post twice.
        if (started) window.location.assign(started.url);
        else form.submit();
      });
    });
  }

  function bind(root) {
    root.querySelectorAll("form[data-stream]:not([data-bound-stream])").forEach(function (form) {
      form.setAttribute("data-bound-stream", "");
      stream(form);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { bind(document); });
})();
