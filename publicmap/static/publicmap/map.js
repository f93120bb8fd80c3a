/* The public member map of Kindnet (/map/ and /map/embed/).
 *
 * Plain script, no build step: Leaflet comes from django-leaflet's static files and
 * everything the page needs to know (feed, tiles, initial view and filters, the
 * translated sentences) is in the JSON block #kn-map-config, so the page runs under
 * a Content-Security-Policy without inline script.
 *
 * The feed clusters on the server: each request sends the zoom and bounding box of
 * the view, so the browser only ever receives what is visible, grouped.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("kn-map-config");
  var mapElement = document.getElementById("kn-map");
  if (!configElement || !mapElement || typeof L === "undefined") {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var text = config.text;
  var lang = config.lang;
  var numbers = new Intl.NumberFormat(lang);
  var compactNumbers = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
  var plurals = new Intl.PluralRules(lang);
  var allKinds = config.kinds.map(function (kind) { return kind.value; });
  var kindLabels = {};
  config.kinds.forEach(function (kind) { kindLabels[kind.value] = kind.label; });

  var form = document.getElementById("kn-filters");
  var summary = document.getElementById("kn-summary");
  var list = document.getElementById("kn-list");
  var LIST_LIMIT = 200;
  var DEBOUNCE_MS = 250;

  // ---- small text helpers -------------------------------------------------

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function counted(forms, count) {
    var form = forms[plurals.select(count)] || forms.other;
    return fill(form, { count: numbers.format(count) });
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = content; }
    return node;
  }

  function safeKind(kind) {
    return /^[a-z]+$/.test(kind || "") ? kind : "unknown";
  }

  function safeUrl(url) {
    if (!url) { return null; }
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  // ---- the map ------------------------------------------------------------

  var map = L.map(mapElement, {
    zoomControl: false,
    minZoom: 2,
    maxZoom: 18,
    worldCopyJump: true
  });
  L.control.zoom({ position: "topright" }).addTo(map);
  L.control.scale({ position: "bottomright", imperial: false }).addTo(map);
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" rel="noopener noreferrer" target="_blank">Leaflet</a>'
  );

  if (config.tiles) {
    var tiles = L.tileLayer(config.tiles.url, {
      attribution: config.tiles.attribution,
      maxZoom: 19,
      referrerPolicy: "strict-origin-when-cross-origin"
    });
    // No tiles (offline, blocked, server down): the markers stay on the plain background.
    tiles.on("tileerror", function (event) { event.tile.classList.add("kn-tile-missing"); });
    tiles.addTo(map);
  }
  var view = config.view;
  var home = L.latLngBounds([view.bounds[1], view.bounds[0]], [view.bounds[3], view.bounds[2]]);
  var hasCentre = view.lat !== null && view.lon !== null;
  if (hasCentre && view.zoom !== null) {
    map.setView([view.lat, view.lon], view.zoom);
  } else if (hasCentre) {
    map.setView([view.lat, view.lon], map.getBoundsZoom(home));
  } else if (view.zoom !== null) {
    map.setView(home.getCenter(), view.zoom);
  } else {
    map.fitBounds(home, { paddingTopLeft: overlayPadding() });
  }
  // A link with filters but no centre (say ?country=CH) opens on what it shows.
  var fitToFirstAnswer = !hasCentre && view.zoom === null &&
    (config.filters.kind.length > 0 || !!config.filters.sector || !!config.filters.country);

  function overlayPadding() {
    // The embed's panel covers the top left of a wide map: keep the view clear of it.
    var overlay = document.querySelector(".kn-overlay");
    if (!overlay || mapElement.clientWidth < 600) { return L.point(0, 0); }
    return L.point(overlay.offsetWidth + 10, 0);
  }

  function extentOf(features) {
    var extent = L.latLngBounds([]);
    features.forEach(function (feature) {
      var p = feature.properties;
      if (p.cluster && p.bbox && p.bbox.length === 4) {
        extent.extend([[p.bbox[1], p.bbox[0]], [p.bbox[3], p.bbox[2]]]);
      } else {
        extent.extend(latLngOf(feature));
      }
    });
    return extent;
  }

  var layer = L.layerGroup().addTo(map);
  var shown = new Map(); // key -> { marker, feature }

  function keyOf(feature) {
    var p = feature.properties;
    if (p.cluster) {
      return "c:" + feature.geometry.coordinates.join(",") + ":" + p.count;
    }
    return "m:" + p.id;
  }

  function latLngOf(feature) {
    var c = feature.geometry.coordinates;
    return L.latLng(c[1], c[0]);
  }

  function popupContent(p) {
    var card = element("div", "kn-card");
    card.tabIndex = -1;
    var kind = element("p", "kn-card__kind");
    kind.appendChild(element("span", "kn-swatch kn-kind-" + safeKind(p.kind)));
    kind.appendChild(document.createTextNode(p.kind_label || kindLabels[p.kind] || ""));
    card.appendChild(kind);
    card.appendChild(element("h3", "kn-card__name", p.name));
    var place = [p.city, p.country_name || p.country].filter(Boolean).join(", ");
    if (place) { card.appendChild(element("p", "kn-card__place", place)); }
    if (p.description) { card.appendChild(element("p", "kn-card__description", p.description)); }
    if (p.sectors && p.sectors.length) {
      var sectors = element("p", "kn-card__sectors");
      sectors.appendChild(element("span", "kn-card__label", text.sectors + ": "));
      sectors.appendChild(document.createTextNode(p.sectors.join(", ")));
      card.appendChild(sectors);
    }
    if (p.recognitions && p.recognitions.length) {
      var badges = element("ul", "kn-badges");
      badges.setAttribute("aria-label", text.recognitions);
      p.recognitions.forEach(function (title) { badges.appendChild(element("li", "kn-badge", title)); });
      card.appendChild(badges);
    }
    var website = safeUrl(p.website);
    if (website) {
      var link = element("a", "kn-card__website", text.website);
      link.href = website;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      card.appendChild(link);
    }
    return card;
  }

  function memberMarker(feature) {
    var p = feature.properties;
    var marker = L.marker(latLngOf(feature), {
      icon: L.divIcon({ className: "kn-marker kn-kind-" + safeKind(p.kind), iconSize: [18, 18], html: "" }),
      title: p.name + " (" + (p.kind_label || p.kind) + ")",
      keyboard: true,
      riseOnHover: true
    });
    marker.bindPopup(function () { return popupContent(p); }, { maxWidth: 300, minWidth: 200 });
    marker.on("add", function () {
      var icon = marker.getElement();
      icon.setAttribute("aria-label", marker.options.title);
      icon.dataset.memberId = String(p.id);
      icon.dataset.kind = safeKind(p.kind);
    });
    marker.on("popupopen", function (event) {
      var card = event.popup.getElement().querySelector(".kn-card");
      if (!card) { return; }
      card.addEventListener("keydown", function (key) {
        if (key.key === "Escape") { map.closePopup(); }
      });
      card.focus({ preventScroll: true });
      // impact.js adds the member's programmes, when it allows them to be shown.
      document.dispatchEvent(new CustomEvent("kn:card-open", {
        detail: { id: p.id, card: card }
      }));
    });
    return marker;
  }

  function clusterMarker(feature) {
    var p = feature.properties;
    var size = p.count < 10 ? 34 : p.count < 100 ? 40 : p.count < 1000 ? 48 : 56;
    var label = p.count >= 10000 ? compactNumbers.format(p.count) : numbers.format(p.count);
    var marker = L.marker(latLngOf(feature), {
      icon: L.divIcon({
        className: "kn-cluster kn-cluster--" + size,
        iconSize: [size, size],
        html: "<span>" + label.replace(/[<>&"]/g, "") + "</span>"
      }),
      title: counted(text.clusterTitle, p.count),
      keyboard: true
    });
    marker.on("add", function () {
      var icon = marker.getElement();
      icon.setAttribute("aria-label", counted(text.cluster, p.count));
      icon.dataset.count = String(p.count);
    });
    marker.on("click", function () { zoomToCluster(feature); });
    return marker;
  }

  function zoomToCluster(feature) {
    var p = feature.properties;
    var zoom = map.getZoom();
    var target = Math.min(zoom + 2, map.getMaxZoom());
    var centre = latLngOf(feature);
    if (p.bbox && p.bbox.length === 4) {
      var bounds = L.latLngBounds([p.bbox[1], p.bbox[0]], [p.bbox[3], p.bbox[2]]);
      if (bounds.isValid() && !bounds.getSouthWest().equals(bounds.getNorthEast())) {
        target = map.getBoundsZoom(bounds, false, L.point(48, 48));
        centre = bounds.getCenter();
      }
    }
    // A click always goes at least one level deeper, even for a cluster as wide as the view.
    map.setView(centre, Math.min(Math.max(target, zoom + 1), map.getMaxZoom()));
  }

  // ---- the list of what is visible -----------------------------------------

  function renderList(features) {
    var members = features.filter(function (f) { return !f.properties.cluster; });
    var clusters = features.filter(function (f) { return f.properties.cluster; });
    members.sort(function (a, b) { return a.properties.name.localeCompare(b.properties.name, lang); });
    clusters.sort(function (a, b) { return b.properties.count - a.properties.count; });
    var items = members.concat(clusters);
    var fragment = document.createDocumentFragment();
    items.slice(0, LIST_LIMIT).forEach(function (feature) {
      var p = feature.properties;
      var item = element("li", "kn-list__item");
      var button = element("button", "kn-list__button");
      button.type = "button";
      button.dataset.key = keyOf(feature);
      if (p.cluster) {
        button.appendChild(element("span", "kn-swatch kn-swatch--cluster"));
        button.appendChild(element("span", "kn-list__name", counted(text.cluster, p.count)));
      } else {
        button.appendChild(element("span", "kn-swatch kn-kind-" + safeKind(p.kind)));
        button.appendChild(element("span", "kn-list__name", p.name));
        var meta = [p.kind_label || p.kind, p.city].filter(Boolean).join(" · ");
        button.appendChild(element("span", "kn-list__meta", meta));
      }
      item.appendChild(button);
      fragment.appendChild(item);
    });
    if (items.length > LIST_LIMIT) {
      fragment.appendChild(element("li", "kn-list__more", fill(text.listMore, {
        count: numbers.format(items.length - LIST_LIMIT)
      })));
    }
    // Drawing the list again must not take the keyboard away from someone using it.
    var focused = document.activeElement;
    var focusedKey = focused && list.contains(focused) ? focused.dataset.key : null;
    list.replaceChildren(fragment);
    if (focusedKey) {
      var again = list.querySelector('button[data-key="' + focusedKey + '"]');
      if (again) { again.focus({ preventScroll: true }); }
    }
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-key]");
    if (!button) { return; }
    var entry = shown.get(button.dataset.key);
    if (!entry) { return; }
    if (entry.feature.properties.cluster) {
      zoomToCluster(entry.feature);
      return;
    }
    openedFromList = button.dataset.key;
    entry.marker.openPopup();
  });

  var openedFromList = null;

  map.on("popupclose", function () {
    // Give the keyboard back to the list entry that opened the card; the list may have
    // been drawn again meanwhile (the card's pan loads the view), so look it up by key.
    if (!openedFromList) { return; }
    var button = list.querySelector('button[data-key="' + openedFromList + '"]');
    openedFromList = null;
    if (button) { button.focus({ preventScroll: true }); }
  });

  // ---- filters, URL and loading -----------------------------------------

  function chosenKinds() {
    if (!form) { return config.filters.kind.length ? config.filters.kind : allKinds; }
    return Array.prototype.filter.call(form.elements.kind, function (box) { return box.checked; })
      .map(function (box) { return box.value; });
  }

  function filterValue(name) {
    if (!form) { return config.filters[name] || ""; }
    return form.elements[name].value;
  }

  function filterParams() {
    var params = new URLSearchParams();
    var kinds = chosenKinds();
    if (kinds.length && kinds.length < allKinds.length) { params.set("kind", kinds.join(",")); }
    if (filterValue("sector")) { params.set("sector", filterValue("sector")); }
    if (filterValue("country")) { params.set("country", filterValue("country")); }
    return params;
  }

  function round(value, digits) {
    var factor = Math.pow(10, digits);
    return Math.round(value * factor) / factor;
  }

  function clamp(value, low, high) { return Math.max(low, Math.min(high, value)); }

  function syncUrl() {
    var params = filterParams();
    var centre = map.getCenter().wrap();
    params.set("lat", String(round(centre.lat, 4)));
    params.set("lon", String(round(centre.lng, 4)));
    params.set("zoom", String(map.getZoom()));
    var withLang = new URLSearchParams(params);
    if (config.langInUrl) { params.set("lang", lang); }
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
    document.querySelectorAll("a[data-lang]").forEach(function (link) {
      withLang.set("lang", link.dataset.lang);
      link.href = window.location.pathname + "?" + withLang.toString();
    });
  }

  var pending = null;
  var timer = null;

  function setBusy(busy) {
    mapElement.classList.toggle("kn-map--loading", busy);
    mapElement.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function load() {
    clearTimeout(timer);
    if (pending) { pending.abort(); }
    syncUrl();
    if (!chosenKinds().length) {
      show([], null);
      summary.textContent = text.noKind;
      return;
    }
    var bounds = map.getBounds();
    var params = filterParams();
    params.set("bbox", [
      clamp(bounds.getWest(), -180, 180), clamp(bounds.getSouth(), -90, 90),
      clamp(bounds.getEast(), -180, 180), clamp(bounds.getNorth(), -90, 90)
    ].map(function (value) { return round(value, 5); }).join(","));
    params.set("zoom", String(Math.round(map.getZoom())));
    params.set("lang", lang);
    var controller = new AbortController();
    pending = controller;
    setBusy(true);
    fetch(config.feedUrl + "?" + params.toString(), {
      signal: controller.signal,
      headers: { Accept: "application/geo+json, application/json" },
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok) { throw new Error("feed answered " + response.status); }
      return response.json();
    }).then(function (data) {
      if (pending !== controller) { return; }
      pending = null;
      setBusy(false);
      show(data.features || [], data);
      if (fitToFirstAnswer) {
        fitToFirstAnswer = false;
        var extent = extentOf(data.features || []);
        if (extent.isValid()) {
          map.fitBounds(extent, { maxZoom: 12, padding: [40, 40], paddingTopLeft: overlayPadding() });
        }
      }
    }).catch(function (error) {
      if (error.name === "AbortError") { return; }
      pending = null;
      setBusy(false);
      summary.textContent = text.error;
      mapElement.classList.add("kn-map--failed");
    });
  }

  function scheduleLoad() {
    clearTimeout(timer);
    timer = setTimeout(load, DEBOUNCE_MS);
  }

  function show(features, data) {
    mapElement.classList.remove("kn-map--failed");
    var next = new Map();
    features.forEach(function (feature) {
      var key = keyOf(feature);
      var entry = shown.get(key);
      if (!entry) {
        var marker = feature.properties.cluster ? clusterMarker(feature) : memberMarker(feature);
        entry = { marker: marker, feature: feature };
        layer.addLayer(marker);
      }
      next.set(key, entry);
    });
    shown.forEach(function (entry, key) {
      if (!next.has(key)) { layer.removeLayer(entry.marker); }
    });
    shown = next;
    renderList(features);
    if (data) {
      var total = typeof data.total === "number" ? data.total : features.length;
      var countries = typeof data.countries === "number" ? data.countries : 0;
      summary.textContent = total ? fill(text.summary, {
        members: counted(text.members, total),
        countries: counted(text.countries, countries)
      }) : text.empty;
    }
    mapElement.dataset.state = "ready";
  }

  if (form) {
    form.addEventListener("change", load);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      load();
    });
    form.addEventListener("reset", function () {
      // After the browser has reset the fields: every kind, every sector, every country.
      setTimeout(function () {
        Array.prototype.forEach.call(form.elements.kind, function (box) { box.checked = true; });
        form.elements.sector.value = "";
        form.elements.country.value = "";
        load();
      }, 0);
    });
  }
  map.on("moveend", scheduleLoad);
  document.body.classList.add("kn--ready");
  load();
})();
