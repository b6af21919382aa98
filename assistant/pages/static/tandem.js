// Tandem's progressive enhancement. Every page works without this file: forms post and
// the server redirects back. With it, forms marked data-enhance update in place.
(function () {
  "use strict";

  function announce(text) {
    var live = document.getElementById("live-region");
    if (!live || !text) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  // <form data-enhance="id1 id2">: post with fetch, then swap the elements with those ids
  // for their new versions from the page the server answers with (it is the same page
  // a browser without script would be sent to), keeping the scroll position and focus.
  function enhance(form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.DOMParser) return;
      event.preventDefault();
      var submitter = event.submitter || form.querySelector("button[type=submit]");
      var data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
      var focusKey = submitter && submitter.getAttribute("data-focus-key");
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.setAttribute("aria-busy", "true"); b.disabled = true; });
      fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "text/html", "X-Requested-With": "fetch" },
      }).then(function (response) {
        return response.text().then(function (html) { return { response: response, html: html }; });
      }).then(function (result) {
        var doc = new DOMParser().parseFromString(result.html, "text/html");
        var ids = (form.getAttribute("data-enhance") || "").split(/\s+/).filter(Boolean);
        var swapped = false;
        ids.forEach(function (id) {
          var fresh = doc.getElementById(id);
          var current = document.getElementById(id);
          if (fresh && current) { current.replaceWith(document.importNode(fresh, true)); swapped = true; }
        });
        if (!swapped || (!result.response.ok && !doc.querySelector("[data-form-errors]"))) {
          // Not the page we expected (an error page, a sign-in): show it whole.
          document.open(); document.write(result.html); document.close();
          return;
        }
        bindAll(document);
        var flash = doc.querySelector("[data-flash]");
        announce(flash ? flash.textContent.trim() : "Saved");
        var target = focusKey && document.querySelector('[data-focus-key="' + focusKey + '"]');
        if (target) target.focus();
      }).catch(function () {
        buttons.forEach(function (b) { b.removeAttribute("aria-busy"); b.disabled = false; });
        form.submit();
      });
    });
  }

  function bindAll(root) {
    root.querySelectorAll("form[data-enhance]:not([data-bound])").forEach(function (form) {
      form.setAttribute("data-bound", "");
      enhance(form);
    });
    root.querySelectorAll("form[data-confirm]:not([data-bound-confirm])").forEach(function (form) {
      form.setAttribute("data-bound-confirm", "");
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      }, true);
    });
    root.querySelectorAll("[data-copy]:not([data-bound])").forEach(function (button) {
      button.setAttribute("data-bound", "");
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source || !navigator.clipboard) return;
        navigator.clipboard.writeText(source.value || source.textContent.trim()).then(function () {
          announce("Copied");
        });
      });
    });
    root.querySelectorAll("[data-print]:not([data-bound])").forEach(function (button) {
      button.setAttribute("data-bound", "");
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // For page scripts that insert forms after load (the chat page's plan cards).
  window.tandemBind = bindAll;

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("live-region")) {
      var live = document.createElement("div");
      live.id = "live-region";
      live.className = "visually-hidden";
      live.setAttribute("aria-live", "polite");
      document.body.appendChild(live);
    }
    bindAll(document);
  });
})();
