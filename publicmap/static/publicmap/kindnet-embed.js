/* Kindnet's map on your website: an optional helper for the page that embeds it.
 *
 *   <iframe data-kindnet-map src="https://kindnet.example/map/embed/" height="560" …></iframe>
 *   <script src="https://kindnet.example/static/publicmap/kindnet-embed.js" defer></script>
 *
 * For every iframe marked `data-kindnet-map` it
 * - grows the frame to the height the map asks for (`kindnet:resize`: open drawers, the
 *   minimum height), never below the frame's own height; `data-kindnet-autosize="off"`
 *   leaves the height alone;
 * - re-emits the map's messages as DOM events on the iframe, `event.detail` being the
 *   message: `kindnet:ready`, `kindnet:select`, `kindnet:view`, `kindnet:resize`.
 * Messages are taken only from the frame's own window and origin.
 */
(function () {
  "use strict";

  function originOf(frame) {
    try { return new URL(frame.src, window.location.href).origin; } catch (error) { return null; }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data.type !== "string" || data.type.indexOf("kindnet:") !== 0) { return; }
    var frames = document.querySelectorAll("iframe[data-kindnet-map]");
    Array.prototype.forEach.call(frames, function (frame) {
      if (frame.contentWindow !== event.source || originOf(frame) !== event.origin) { return; }
      if (data.type === "kindnet:resize" && typeof data.height === "number" &&
          frame.getAttribute("data-kindnet-autosize") !== "off") {
        if (!frame.kindnetHeight) { frame.kindnetHeight = frame.getBoundingClientRect().height; }
        frame.style.height = Math.max(frame.kindnetHeight, Math.ceil(data.height)) + "px";
      }
      var copy = {};
      Object.keys(data).forEach(function (key) { copy[key] = data[key]; });
      frame.dispatchEvent(new CustomEvent(data.type, { detail: copy, bubbles: true }));
    });
  });
})();
