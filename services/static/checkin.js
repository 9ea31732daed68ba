// Door check-in (events admin, issue 16): scan a ticket's QR code with the
// camera where the browser has BarcodeDetector, put the code in the form
// and send it. Without it (or without a camera) the page is the plain form:
// the code is typed.
(function () {
  'use strict';
  var form = document.getElementById('check-in-form');
  var box = document.getElementById('check-in-camera');
  if (!form || !box) return;
  var input = form.querySelector('input[name="code"]');
  if (input && !input.value) input.focus();
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  box.hidden = false;
  var button = document.getElementById('check-in-scan');
  var video = document.getElementById('check-in-video');
  var stream = null;
  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.hidden = true;
    button.textContent = 'Scan with the camera';
  }
  button.addEventListener('click', function () {
    if (stream) { stop(); return; }
    var detector;
    try { detector = new window.BarcodeDetector({ formats: ['qr_code'] }); } catch (e) { return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      button.textContent = 'Stop the camera';
      return video.play();
    }).then(function () {
      var look = function () {
        if (!stream) return;
        detector.detect(video).then(function (codes) {
          if (codes.length && codes[0].rawValue) {
            input.value = codes[0].rawValue;
            stop();
            form.submit();
          } else {
            window.setTimeout(look, 200);
          }
        }, function () { window.setTimeout(look, 500); });
      };
      look();
    }).catch(function () { stop(); });
  });
})();
