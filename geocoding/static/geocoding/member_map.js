/* Manual override of a member's coordinates: a draggable marker bound to the form inputs.
   Leaflet is django-leaflet's copy, served with the other static files. */
(function () {
  "use strict";

  function point(latInput, lonInput) {
    var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
    if (isNaN(lat) || isNaN(lon)) return null;
    return L.latLng(lat, lon);
  }

  /* No tile server: the gazetteer's most populous towns in view, as labelled dots. */
  function showTowns(map, url) {
    var towns = L.layerGroup().addTo(map);
    function load() {
      var b = map.getBounds();
      var query = "?south=" + b.getSouth() + "&west=" + b.getWest() +
        "&north=" + b.getNorth() + "&east=" + b.getEast();
      fetch(url + query, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { places: [] }; })
        .then(function (data) {
          towns.clearLayers();
          data.places.forEach(function (place, index) {
            L.circleMarker([place[0], place[1]], {
              radius: index < 15 ? 4 : 2, color: "#52708a", weight: 1, fillOpacity: 0.8
            }).bindTooltip(place[2], {
              permanent: index < 15, direction: "right", className: "kindnet-town"
            }).addTo(towns);
          });
        })
        .catch(function () { towns.clearLayers(); });
    }
    map.on("moveend", load);
  }

  function init(element) {
    var latInput = document.getElementById(element.dataset.latInput);
    var lonInput = document.getElementById(element.dataset.lonInput);
    var statusInput = document.getElementById(element.dataset.statusInput);
    if (!latInput || !lonInput) return;
    var map = L.map(element, { scrollWheelZoom: false });
    map.attributionControl.setPrefix("Leaflet");  // a name, not a link to the outside
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, {
        attribution: element.dataset.attribution, maxZoom: 19
      }).addTo(map);
    } else {
      element.style.background = "#eef3f7";
      if (element.dataset.placesUrl) showTowns(map, element.dataset.placesUrl);
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
