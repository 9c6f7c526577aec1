// 扫通行码 at the checkpoint station: the phone's back camera, a QR decoder running in the page (the
// browser's own BarcodeDetector where it has one, else jsQR served from this server), and a POST of the
// decoded text to the verify view. The verdict shows big in colour; scanning goes on for the next person.
// Typing the short number or the card code posts the same form.
(function () {
  var form = document.getElementById("pass-form");
  if (!form) { return; }
  var start = document.getElementById("ps-start");
  var wrap = document.getElementById("ps-video-wrap");
  var video = document.getElementById("ps-video");
  var status = document.getElementById("ps-status");
  var result = document.getElementById("pass-result");
  var input = document.getElementById("ps-code");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null;
  var busy = false;
  var last = { text: "", at: 0 };
  var MAX_WIDTH = 640;  // enough for a phone screen held up to the camera; cheap phones decode it fast

  var panel = document.getElementById("pass-panel");
  function text(key) { return panel.dataset["msg" + key.charAt(0).toUpperCase() + key.slice(1)] || key; }
  function say(message) { status.textContent = message; }

  function token() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function send(code) {
    if (busy) { return; }
    busy = true;
    var data = new FormData(form);
    data.set("code", code);
    data.set("token", token());
    say(text("sending"));
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.status === 403 || response.redirected) { throw new Error("login"); }
        return response.text();
      })
      .then(function (html) {
        result.innerHTML = html;
        result.scrollIntoView({ block: "nearest" });
        input.value = "";
        var temperature = form.querySelector("input[name=temperature]");
        if (temperature) { temperature.value = ""; }
        document.body.dispatchEvent(new Event("refresh-live"));  // the live list below shows the passage
        say("");
      })
      .catch(function (error) {
        say(text(error.message === "login" ? "login" : "offline"));
      })
      .then(function () { setTimeout(function () { busy = false; }, 1200); });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var code = input.value.replace(/\s+/g, "");
    if (!code) { say(text("empty")); input.focus(); return; }
    send(code);
  });

  result.addEventListener("click", function (e) {
    if (e.target.matches("[data-next]")) { result.innerHTML = ""; }  // the same code still in view stays ignored
  });

  function found(text) {
    // The same code held in front of the camera is sent once; a new code (the next person) at once.
    var now = Date.now();
    if (!text || (text === last.text && now - last.at < 15000)) { return; }
    last = { text: text, at: now };
    send(text);
  }

  function frame() {
    if (!video.srcObject) { return; }
    if (video.readyState >= 2 && !busy) {
      var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      if (detector) {
        detector.detect(canvas).then(function (codes) {
          if (codes.length) { found(codes[0].rawValue); }
        }).catch(function () { detector = null; });
      } else if (window.jsQR) {
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        if (code) { found(code.data); }
      }
    }
    setTimeout(frame, 150);
  }

  start.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(text("nocamera"));
      return;
    }
    start.disabled = true;
    say(text("opening"));
    var ready = Promise.resolve();
    if ("BarcodeDetector" in window) {
      ready = window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); }
      }).catch(function () {});
    }
    ready.then(function () {
      return navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: "environment" } });
    }).then(function (stream) {
      video.srcObject = stream;
      wrap.hidden = false;
      start.hidden = true;
      return video.play();
    }).then(function () {
      say(text("aim"));
      frame();
    }).catch(function () {
      start.disabled = false;
      say(text("denied"));
    });
  });
})();
