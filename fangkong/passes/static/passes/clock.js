// The clock ticks every second, so a live screen can be told from a screenshot.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var d = new Date(Date.now() + 8 * 3600 * 1000);  // Asia/Shanghai, whatever the phone's zone
    var text = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    Array.prototype.forEach.call(document.querySelectorAll("[data-clock]"), function (c) { c.textContent = text; });
  }
  tick(); setInterval(tick, 1000);
})();
