// Behaviour of forms, given by attributes (no script in the pages: the Content-Security-Policy allows none).
//   data-confirm="question"  asks before sending.
//   data-once                sends once: a second tap while the first is on its way does nothing (the form's
//                            token also guards on the server); the button tapped still goes with it.
//   data-keep="name"         what was typed stays on this phone (sessionStorage: this tab only, gone when it
//                            closes) until the server has accepted it. If the network drops or the system is busy
//                            (the 503 page, body[data-busy]), going back shows the form filled in again and one tap
//                            sends it. A page without the form, reached after sending it, means it was accepted:
//                            what was typed is forgotten. Passwords and files are never kept.
//   a[data-back]             goes back in history where there is one (the busy page's "返回重试").
(function () {
  "use strict";
  var PREFIX = "fk-keep:";
  var each = function (selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); };

  function load(name) {
    try { return JSON.parse(sessionStorage.getItem(PREFIX + name) || "null"); } catch (e) { return null; }
  }
  function store(name, value) {
    try { sessionStorage.setItem(PREFIX + name, JSON.stringify(value)); } catch (e) { /* private mode: nothing kept */ }
  }
  function kept(el) {
    return el.name && el.name !== "csrfmiddlewaretoken" &&
      ["hidden", "password", "file", "submit", "button"].indexOf(el.type) < 0;
  }
  function read(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el)) { return; }
      if (el.type === "radio" || el.type === "checkbox") {
        data[el.name] = data[el.name] || [];
        if (el.checked) { data[el.name].push(el.value); }
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }
  function fill(form, data) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || !(el.name in data)) { return; }
      var value = data[el.name];
      if (el.type === "radio" || el.type === "checkbox") { el.checked = value.indexOf(el.value) >= 0; }
      else if (!el.value) { el.value = value; }  // what the server filled in (an error's page) stays
    });
  }

  function keep() {
    var here = {};
    each("form[data-keep]", function (form) {
      var name = form.getAttribute("data-keep");
      here[name] = true;
      var saved = load(name);
      if (saved) { fill(form, saved.fields); }
      var typed = function () { store(name, {fields: read(form), sent: false}); };
      form.addEventListener("input", typed);
      form.addEventListener("change", typed);
      form.addEventListener("submit", function () { store(name, {fields: read(form), sent: true}); });
    });
    if (document.body.hasAttribute("data-busy")) { return; }
    try {
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var key = sessionStorage.key(i);
        if (key && key.indexOf(PREFIX) === 0 && !here[key.slice(PREFIX.length)]) {
          var saved = load(key.slice(PREFIX.length));
          if (saved && saved.sent) { sessionStorage.removeItem(key); }
        }
      }
    } catch (e) { /* no storage */ }
  }

  function once(form) {
    form.addEventListener("submit", function (e) {
      if (e.defaultPrevented) { return; }
      if (form.hasAttribute("data-sent")) { e.preventDefault(); return; }
      form.setAttribute("data-sent", "");
      if (e.submitter && e.submitter.name) {
        var copy = document.createElement("input");
        copy.type = "hidden"; copy.name = e.submitter.name; copy.value = e.submitter.value;
        copy.setAttribute("data-submitter", "");
        form.appendChild(copy);
      }
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    });
  }

  function start() {
    each("form[data-confirm]", function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
    each("form[data-once]", once);
    keep();
    each("a[data-back]", function (link) {
      link.addEventListener("click", function (e) {
        if (window.history.length > 1) { e.preventDefault(); window.history.back(); }
      });
    });
  }
  // Back from the busy page, the browser may show the form as it was left: sent and its buttons off.
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) { return; }
    each("form[data-sent]", function (form) {
      form.removeAttribute("data-sent");
      Array.prototype.forEach.call(form.querySelectorAll("[data-submitter]"), function (c) { c.remove(); });
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; });
    });
  });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
