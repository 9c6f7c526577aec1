// The station page: a scanned pass's panel (#entry) closes with its cancel link, and a temperature field that
// arrives with it takes the focus, so the gate types the reading at once.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var entry = document.getElementById("entry");
  if (!entry) { return; }
  entry.addEventListener("click", function (e) {
    if (e.target.matches("[data-cancel]")) { e.preventDefault(); entry.innerHTML = ""; }
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target.id === "entry") {
      var input = e.detail.target.querySelector("input[name=temperature]");
      if (input) { input.focus(); }
    }
  });
});
