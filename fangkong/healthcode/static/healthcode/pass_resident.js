// 我的通行码: the clock ticks every second and each code is blanked once it has expired (the page may
// have lost its network and stopped refreshing), so neither a screenshot nor a stale screen passes.
(function () {
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function stamp(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-valid-seconds]"), function (qr) {
      qr.dataset.until = String(Date.now() + 1000 * parseInt(qr.dataset.validSeconds, 10));
    });
  }
  function tick() {
    var d = new Date(Date.now() + 8 * 3600 * 1000);  // Asia/Shanghai, whatever the phone's zone
    var text = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    Array.prototype.forEach.call(document.querySelectorAll("[data-clock]"), function (c) { c.textContent = text; });
    Array.prototype.forEach.call(document.querySelectorAll("[data-until]"), function (qr) {
      qr.classList.toggle("expired", Date.now() > parseInt(qr.dataset.until, 10));
    });
  }
  stamp(document);
  document.body.addEventListener("htmx:afterSwap", function (e) { stamp(e.detail.target); tick(); });
  tick();
  setInterval(tick, 1000);
})();
