// A page made to be framed by the movement's website (/join/embed/): tells the host page
// its height whenever it changes, so the host can size the <iframe> without a scrollbar.
//
// Message, sent only to an origin the site allows to frame it (JOIN_EMBED_ALLOWED_ORIGINS):
//   {type: "kindnet:height", frame: "join", height: <CSS pixels>}
// A static file, so the page's Content-Security-Policy needs no inline script.
(function () {
  if (window.parent === window) return;  // opened on its own: nobody to tell
  var body = document.body;
  var allowed = (body.dataset.frameOrigins || "").split(" ").filter(Boolean);
  var frame = body.dataset.frameName || "kindnet";
  // The host's origin: Chromium and Safari name it; elsewhere the first page's referrer does
  // (after the form is sent the referrer is this site, so the host is then not known).
  var host = "";
  if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
    host = window.location.ancestorOrigins[0];
  } else if (document.referrer) {
    try { host = new URL(document.referrer).origin; } catch (error) { host = ""; }
  }
  var targets = allowed.indexOf(host) >= 0 ? [host] : allowed;
  var last = -1;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    targets.forEach(function (origin) {
      try {
        window.parent.postMessage({type: "kindnet:height", frame: frame, height: height}, origin);
      } catch (error) { /* an origin the browser refuses: nothing to tell it */ }
    });
  }
  if (window.ResizeObserver) {
    new ResizeObserver(send).observe(document.documentElement);
  } else {
    window.addEventListener("resize", send);
  }
  window.addEventListener("load", send);
  send();
})();
