/* Manual override of a member's coordinates: a draggable marker bound to the form inputs.
   Leaflet is django-leaflet's copy, served with the other static files. */
(function () {
  "use strict";

  function point(latInput, lonInput) {
    var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
    if (isNaN(lat) || isNaN(lon)) return null;
    return L.latLng(lat, lon);
  }

  function init(element) {
    var latInput = document.getElementById(element.dataset.latInput);
    var lonInput = document.getElementById(element.dataset.lonInput);
    var statusInput = document.getElementById(element.dataset.statusInput);
    if (!latInput || !lonInput) return;
    var map = L.map(element, { scrollWheelZoom: false });
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, {
        attribution: element.dataset.attribution, maxZoom: 19
      }).addTo(map);
    } else {
      element.style.background = "#eef3f7";
    }
    var start = point(latInput, lonInput);
    var center = element.dataset.center.split(",").map(parseFloat);
    map.setView(start || center, start ? 13 : 5);
    var marker = L.marker(start || center, { draggable: true, autoPan: true }).addTo(map);

    function placeByHand(latlng) {
      marker.setLatLng(latlng);
      latInput.value = latlng.lat.toFixed(6);
      lonInput.value = latlng.lng.toFixed(6);
      if (statusInput) statusInput.value = element.dataset.manual;
    }
    marker.on("dragend", function () { placeByHand(marker.getLatLng()); });
    map.on("click", function (event) { placeByHand(event.latlng); });
    [latInput, lonInput].forEach(function (input) {
      input.addEventListener("change", function () {
        var typed = point(latInput, lonInput);
        if (typed) { marker.setLatLng(typed); map.panTo(typed); }
      });
    });
    setTimeout(function () { map.invalidateSize(); }, 0);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".kindnet-member-map").forEach(init);
  });
})();
